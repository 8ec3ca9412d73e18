import { lastSequence, type ChangeRow } from '../index/change-feed.repository.js';
import type { Database } from '../index/db.js';
import {
  listWebhooks,
  withWebhookCursor,
  type WebhookCursor,
  type WebhookRow,
} from '../index/webhooks.repository.js';
import type { Logger } from '../lib/log.js';
import { toEntry, type ChangeFeedService } from '../services/change-feed.js';
import type { ChangeSignal } from '../services/change-signal.js';
import { signDelivery } from './webhook-signature.js';

export interface WebhookDispatcherOptions {
  database: Pick<Database, 'db' | 'driver'>;
  feed: ChangeFeedService;
  signal: ChangeSignal;
  log: Logger;
  /** Entries read per subscription and round. */
  batchSize?: number;
  /** A delivery not answered within this is a failure. */
  timeoutMs: number;
  /** Back-off after a failure: doubles from `minBackoffMs` up to `maxBackoffMs`. */
  minBackoffMs: number;
  maxBackoffMs: number;
  /** How long the loop sleeps when nothing happens (subscriptions added on another node). */
  idleMs: number;
}

/** Why a delivery failed, for `last_error` and the log: a status or an error code, no body. */
class DeliveryError extends Error {
  override readonly name = 'DeliveryError';
}

/**
 * Delivers the change feed to every webhook subscription, in Sequence order, at least once: an
 * entry counts as delivered when the receiver answered 2xx, and only then does the
 * subscription's cursor (`webhooks.delivered_sequence`) move past it. A failure (non-2xx, no
 * answer within `timeoutMs`, connection refused) records the attempt and retries that same
 * entry after a back-off doubling from `minBackoffMs` to `maxBackoffMs`; later entries wait
 * behind it, so a receiver sees entries in order. Cursors and back-off live in the index:
 * a restart resumes where delivery stopped, and nodes sharing the index hold a subscription in
 * turn (index/webhooks.repository.ts), never in parallel. A crash between a 2xx and the cursor
 * update repeats that entry: receivers dedupe on `X-Strata-Delivery` (subscription/sequence).
 */
export class WebhookDispatcher {
  private loop: Promise<void> | undefined;
  private stopping = false;
  private readonly abort = new AbortController();

  constructor(private readonly options: WebhookDispatcherOptions) {}

  start(): void {
    if (this.loop) return;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.abort.abort();
    await this.loop;
    this.loop = undefined;
  }

  /**
   * One round over every subscription; returns the soonest retry due (ms from now), if any,
   * and whether there is any subscription at all.
   */
  async deliverPending(): Promise<{ subscriptions: number; retryInMs: number | undefined }> {
    let soonest: number | undefined;
    const hooks = await listWebhooks(this.options.database.db);
    for (const hook of hooks) {
      if (this.stopping) break;
      const claim = await withWebhookCursor(this.options.database, hook.id, (cursor) =>
        this.deliverTo(cursor),
      );
      if (claim.claimed && claim.value !== undefined) {
        soonest = Math.min(soonest ?? Infinity, claim.value);
      }
    }
    return { subscriptions: hooks.length, retryInMs: soonest };
  }

  /** Delivers what is due to one subscription; returns ms until its retry when it waits. */
  private async deliverTo(cursor: WebhookCursor): Promise<number | undefined> {
    const batchSize = this.options.batchSize ?? 50;
    for (;;) {
      const due = cursor.row.nextAttemptAt ? new Date(cursor.row.nextAttemptAt).getTime() : 0;
      if (due > Date.now()) return due - Date.now();
      const rows = await this.options.feed.page(
        { offset: Number(cursor.row.deliveredSequence), limit: batchSize, includeMetadata: false },
        undefined,
      );
      let passed = Number(cursor.row.deliveredSequence);
      for (const row of rows) {
        if (this.stopping) break;
        if (matches(cursor.row, row)) {
          try {
            await this.send(cursor.row, row);
          } catch (error) {
            await cursor.advance(passed);
            return this.failed(cursor, row, error);
          }
        }
        passed = row.sequence;
      }
      await cursor.advance(passed);
      if (rows.length < batchSize || this.stopping) return undefined;
    }
  }

  private async failed(cursor: WebhookCursor, row: ChangeRow, error: unknown): Promise<number> {
    const { minBackoffMs, maxBackoffMs } = this.options;
    const delay = Math.min(minBackoffMs * 2 ** cursor.row.failures, maxBackoffMs);
    const reason =
      error instanceof DeliveryError
        ? error.message
        : ((error as { cause?: { code?: string } }).cause?.code ??
          (error as Error).name ??
          'error');
    await cursor.fail(new Date(Date.now() + delay), reason);
    this.options.log.warn('webhook delivery failed; it is retried', {
      webhook: cursor.row.id,
      sequence: row.sequence,
      reason,
      attempts: cursor.row.failures,
      retryInMs: delay,
    });
    return delay;
  }

  private async send(hook: WebhookRow, row: ChangeRow): Promise<void> {
    const body = JSON.stringify(toEntry(row, false));
    const timestamp = Math.floor(Date.now() / 1000);
    const response = await fetch(hook.url, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'User-Agent': 'Strata-Webhook',
        'X-Strata-Event': row.action,
        'X-Strata-Delivery': `${hook.id}/${row.sequence}`,
        'X-Strata-Timestamp': String(timestamp),
        'X-Strata-Signature': signDelivery(hook.secret, timestamp, body),
      },
      body,
      redirect: 'manual',
      signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(this.options.timeoutMs)]),
    });
    // The answer's body is not read: drop it so the connection can be reused.
    await response.body?.cancel();
    if (response.status < 200 || response.status > 299) {
      throw new DeliveryError(`status ${response.status}`);
    }
  }

  private async run(): Promise<void> {
    const { signal, log, idleMs } = this.options;
    let head = 0;
    while (!this.stopping) {
      let wait = idleMs;
      let subscriptions = 0;
      try {
        const round = await this.deliverPending();
        subscriptions = round.subscriptions;
        if (round.retryInMs !== undefined) wait = Math.min(wait, Math.max(round.retryInMs, 10));
      } catch (error) {
        log.warn('webhook delivery round failed', { error });
      }
      if (this.stopping) break;
      if (subscriptions === 0) {
        // Nobody to deliver to: do not wait on the change signal, which would make every
        // commit publish the feed. A subscription made on any node is seen within this.
        await sleep(NO_SUBSCRIPTION_CHECK_MS, this.abort.signal);
        continue;
      }
      // Wakes for a new entry, a due retry, or the idle poll (subscriptions made elsewhere).
      await signal.wait(head, wait, this.abort.signal);
      head = await this.headNow();
    }
  }

  private headNow(): Promise<number> {
    return lastSequence(this.options.database.db).catch(() => 0);
  }
}

/** How often a node without subscriptions looks for new ones. */
const NO_SUBSCRIPTION_CHECK_MS = 2000;

function sleep(ms: number, abort: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      abort.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    abort.addEventListener('abort', done, { once: true });
  });
}

/** Whether the subscription's filters admit the entry (null filters admit everything). */
export function matches(hook: WebhookRow, row: ChangeRow): boolean {
  return (
    (hook.actions === null || hook.actions.includes(row.action)) &&
    (hook.studyInstanceUid === null || hook.studyInstanceUid === row.studyInstanceUid) &&
    (hook.seriesInstanceUid === null || hook.seriesInstanceUid === row.seriesInstanceUid) &&
    (hook.modality === null || hook.modality === row.modality) &&
    (hook.sopClassUid === null || hook.sopClassUid === row.sopClassUid)
  );
}

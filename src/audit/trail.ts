import {
  appendAuditRecords,
  appendAuditRecordsAfter,
  removeAuditPrefix,
  type AuditEntry,
  type AuditHead,
  type AuditRecord,
} from '../index/audit-log.repository.js';
import type { Db } from '../index/db.js';
import { systemClock, type Clock } from '../lib/clock.js';
import type { Logger } from '../lib/log.js';
import { ProjectError } from '../lib/errors.js';
import { AuditUnavailableError } from './errors.js';
import {
  AUDIT_EVENT_IDS,
  AUDIT_EVENT_TYPE_CODES,
  type AuditEvent,
  type AuditSink,
} from './event.js';
import type { Pseudonyms } from './pseudonym.js';
import { recordHash } from './record.js';

export interface AuditTrailOptions {
  db: Db;
  pseudonyms: Pseudonyms;
  log: Logger;
  clock?: Clock | undefined;
  /** Records older than this many days are removed by `applyRetention` (AUDIT_RETENTION_DAYS). */
  retentionDays: number;
  /** Records waiting beyond this are refused at once (backpressure). */
  maxWaiting?: number;
  /** Most records one transaction appends. */
  maxBatch?: number;
}

interface Waiting {
  entry: AuditEntry;
  resolve(): void;
  reject(error: ProjectError): void;
}

const DAY_MS = 86_400_000;
/** Records one retention transaction removes; it loops until nothing old is left. */
const RETENTION_CHUNK = 5000;

/**
 * The audit trail (PS3.15 A.5): each event is pseudonymised, chained to its predecessor by hash
 * (audit/record.ts) and committed before `record` resolves, so a request whose record cannot be
 * written fails (AuditUnavailableError, 503) rather than being served unrecorded.
 *
 * Throughput comes from batching, not from parallel writers: events queue in memory and one
 * writer at a time appends everything queued in one transaction (the head row locked, one
 * multi-row INSERT, the head moved). While a batch commits, the next one gathers, so under load
 * a transaction carries many records and the chain's lock is taken once per batch. The queue is
 * bounded: beyond `maxWaiting` records a request is refused at once instead of waiting on an
 * index that cannot keep up.
 */
export class AuditTrail implements AuditSink {
  private readonly queue: Waiting[] = [];
  private writing: Promise<void> | undefined;
  private closed = false;
  private retentionTimer: NodeJS.Timeout | undefined;
  private retentionRun: Promise<number> | undefined;
  private readonly clock: Clock;
  private readonly maxWaiting: number;
  private readonly maxBatch: number;
  /** Committed transactions and the records they carried (tests and metrics). */
  readonly stats = { batches: 0, records: 0 };

  private readonly appended: (() => void)[] = [];
  /**
   * The head as this trail last left it: the next batch is appended after it in one statement,
   * and only if another writer moved it meanwhile is the head read again under its lock.
   */
  private lastHead: Pick<AuditHead, 'seq' | 'hash'> | undefined;

  constructor(private readonly options: AuditTrailOptions) {
    this.clock = options.clock ?? systemClock;
    this.maxWaiting = options.maxWaiting ?? 10_000;
    this.maxBatch = options.maxBatch ?? 500;
  }

  record(event: AuditEvent): Promise<void> {
    if (this.closed || this.queue.length >= this.maxWaiting) {
      return Promise.reject(new AuditUnavailableError());
    }
    const entry = this.entryOf(event);
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ entry, resolve, reject });
      this.writing ??= this.drain();
    });
  }

  /** Called after each committed batch (the ATNA exporter's nudge); must not throw. */
  whenAppended(listener: () => void): void {
    this.appended.push(listener);
  }

  /** Refuses new records, waits for the queued ones, and stops the retention schedule. */
  async close(): Promise<void> {
    this.closed = true;
    this.stopRetention();
    await this.writing;
    await this.retentionRun?.catch(() => 0);
  }

  /**
   * Removes records older than the retention period now (also run daily by `startRetention`).
   * The oldest records go as a prefix and the anchor moves to the last removed, so the rest
   * still verifies. Returns how many were removed.
   */
  applyRetention(): Promise<number> {
    this.retentionRun ??= this.removeOld().finally(() => {
      this.retentionRun = undefined;
    });
    return this.retentionRun;
  }

  /** Runs retention now and then every `intervalMs` (daily by default) until `close`. */
  startRetention(intervalMs = DAY_MS): void {
    this.stopRetention();
    const run = () => {
      this.applyRetention().then(
        (removed) => {
          if (removed > 0) this.options.log.info('audit retention removed records', { removed });
        },
        (error: unknown) => this.options.log.error('audit retention failed', { error }),
      );
    };
    run();
    this.retentionTimer = setInterval(run, intervalMs);
    this.retentionTimer.unref();
  }

  private stopRetention(): void {
    if (this.retentionTimer) clearInterval(this.retentionTimer);
    this.retentionTimer = undefined;
  }

  private async removeOld(): Promise<number> {
    const before = new Date(this.clock.now().getTime() - this.options.retentionDays * DAY_MS);
    let total = 0;
    for (;;) {
      const removed = await removeAuditPrefix(this.options.db, before, RETENTION_CHUNK);
      total += removed;
      if (removed < RETENTION_CHUNK) return total;
    }
  }

  /** One writer: appends everything queued, batch by batch, until the queue is empty. */
  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.maxBatch);
        try {
          await this.append(batch.map((w) => w.entry));
          this.stats.batches += 1;
          this.stats.records += batch.length;
          for (const waiting of batch) waiting.resolve();
          for (const listener of this.appended) listener();
        } catch (error) {
          // Whether it committed is unknown (a connection lost at the commit): read it again.
          this.lastHead = undefined;
          this.options.log.error('audit records could not be written', {
            error,
            records: batch.length,
          });
          // The index being down or gone is said as such (index.unavailable with its
          // Retry-After, index.aborted): the trail lives there, and the request that needed
          // the record fails for the same reason its own queries would.
          const failure = isIndexFailure(error)
            ? error
            : new AuditUnavailableError({ cause: error });
          for (const waiting of batch) waiting.reject(failure);
        }
      }
    } finally {
      this.writing = undefined;
    }
  }

  private async append(entries: AuditEntry[]): Promise<void> {
    const { db } = this.options;
    let records: AuditRecord[] | undefined;
    if (this.lastHead)
      records = await appendAuditRecordsAfter(db, this.lastHead, entries, recordHash);
    records ??= await appendAuditRecords(db, entries, recordHash);
    const last = records[records.length - 1];
    this.lastHead = last ? { seq: last.seq, hash: last.hash } : this.lastHead;
  }

  /** The stored form of an event: codes for names, references for identifiers. */
  private entryOf(event: AuditEvent): AuditEntry {
    const { pseudonyms } = this.options;
    return {
      // Millisecond precision, as canonical JSON hashes it and PostgreSQL keeps it.
      at: new Date((event.at ?? this.clock.now()).getTime()),
      eventId: AUDIT_EVENT_IDS[event.type],
      eventType: event.subtype ? AUDIT_EVENT_TYPE_CODES[event.subtype] : null,
      action: event.action,
      outcome: event.outcome,
      userId: event.user?.id ?? null,
      userMethod: event.user?.method ?? null,
      userRoles: event.user ? [...event.user.roles] : null,
      clientAddress: event.clientAddress ?? null,
      requestId: event.requestId ?? null,
      patientRef: event.patient ? pseudonyms.ref(event.patient.patientId) : null,
      studyRefs: event.patient ? event.patient.studyUids.map((uid) => pseudonyms.ref(uid)) : null,
      query: event.query !== undefined ? pseudonyms.query(event.query) : null,
      detail: event.detail ? { ...event.detail } : null,
    };
  }
}

/** An index error of ours (index/errors.ts: unavailable, aborted, disk full). */
function isIndexFailure(error: unknown): error is ProjectError {
  return error instanceof ProjectError && error.code.startsWith('index.');
}

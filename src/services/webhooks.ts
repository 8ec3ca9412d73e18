import { randomBytes } from 'node:crypto';
import type { AuditSink } from '../audit/event.js';
import { lastSequence, publishChanges } from '../index/change-feed.repository.js';
import type { Db } from '../index/db.js';
import {
  deleteWebhook,
  insertWebhook,
  listWebhooks,
  type WebhookRow,
} from '../index/webhooks.repository.js';
import { ulid } from '../lib/ulid.js';
import type { Actor } from './actor.js';
import { eventOf, recordAll } from './audit-records.js';
import { ResourceNotFoundError } from './errors.js';

/** What an administrator asks for; filters left out match every entry. */
export interface WebhookRequest {
  url: string;
  /** The HMAC key; a random one (returned once, at creation) when absent. */
  secret?: string | undefined;
  actions?: readonly ('create' | 'update' | 'delete')[] | undefined;
  studyInstanceUid?: string | undefined;
  seriesInstanceUid?: string | undefined;
  modality?: string | undefined;
  sopClassUid?: string | undefined;
}

/** A subscription as the admin API shows it: never the secret, except once at creation. */
export interface WebhookView {
  id: string;
  url: string;
  actions: string[] | null;
  studyInstanceUid: string | null;
  seriesInstanceUid: string | null;
  modality: string | null;
  sopClassUid: string | null;
  /** The last Sequence the receiver accepted; deliveries continue after it. */
  deliveredSequence: number;
  failures: number;
  nextAttemptAt: string | null;
  lastError: string | null;
  createdAt: string;
}

/**
 * Outgoing webhook subscriptions (`/admin/webhooks`), stored in the index; events/ delivers
 * them. A new subscription starts at the feed's newest entry: it receives what changes from
 * then on. Creating or removing one changes where patient data is sent, so each is recorded as
 * a 110113 Security Alert of type Network Configuration (PS3.15 A.5.3.11), with the
 * subscription's id (never its URL's secrets or any patient value).
 */
export class WebhookAdmin {
  constructor(private readonly deps: { db: Db; audit: AuditSink }) {}

  async create(request: WebhookRequest, actor: Actor): Promise<WebhookView & { secret: string }> {
    const { db } = this.deps;
    await publishChanges(db);
    const secret = request.secret ?? randomBytes(32).toString('base64url');
    const row = await insertWebhook(db, {
      id: ulid(),
      url: request.url,
      secret,
      actions: request.actions ? [...request.actions] : null,
      studyInstanceUid: request.studyInstanceUid ?? null,
      seriesInstanceUid: request.seriesInstanceUid ?? null,
      modality: request.modality ?? null,
      sopClassUid: request.sopClassUid ?? null,
      deliveredSequence: await lastSequence(db),
      createdBy: actor.user.id,
    });
    await this.record(actor, 'C', row.id);
    return { ...viewOf(row), secret };
  }

  async list(): Promise<WebhookView[]> {
    return (await listWebhooks(this.deps.db)).map(viewOf);
  }

  async remove(id: string, actor: Actor): Promise<void> {
    if (!(await deleteWebhook(this.deps.db, id))) throw new ResourceNotFoundError('webhook');
    await this.record(actor, 'D', id);
  }

  private record(actor: Actor, action: 'C' | 'D', id: string): Promise<void> {
    return recordAll(this.deps.audit, [
      {
        ...eventOf(actor, 'security-alert', action, 0),
        subtype: 'network-configuration',
        detail: { webhook: id },
      },
    ]);
  }
}

function viewOf(row: WebhookRow): WebhookView {
  return {
    id: row.id,
    url: row.url,
    actions: row.actions,
    studyInstanceUid: row.studyInstanceUid,
    seriesInstanceUid: row.seriesInstanceUid,
    modality: row.modality,
    sopClassUid: row.sopClassUid,
    deliveredSequence: Number(row.deliveredSequence),
    failures: row.failures,
    nextAttemptAt: row.nextAttemptAt ? new Date(row.nextAttemptAt).toISOString() : null,
    lastError: row.lastError,
    createdAt: new Date(row.createdAt).toISOString(),
  };
}

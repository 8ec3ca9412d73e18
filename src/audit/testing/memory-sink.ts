import { AuditUnavailableError } from '../errors.js';
import type { AuditEvent, AuditSink } from '../event.js';

/**
 * Test support: an AuditSink that keeps what it is given, in order, and can be told to fail
 * (as the trail does when the index cannot take the record).
 */
export class MemoryAuditSink implements AuditSink {
  readonly events: AuditEvent[] = [];
  private failing = false;

  /** From now on, `record` rejects with AuditUnavailableError (false: records again). */
  fail(failing = true): void {
    this.failing = failing;
  }

  record(event: AuditEvent): Promise<void> {
    if (this.failing) return Promise.reject(new AuditUnavailableError());
    this.events.push(event);
    return Promise.resolve();
  }

  /** The events kept so far, and forgets them. */
  take(): AuditEvent[] {
    return this.events.splice(0);
  }
}

import { hostname } from 'node:os';
import {
  withExportCursor,
  type AuditLogRow,
  type ExportCursor,
} from '../index/audit-export.repository.js';
import type { Database } from '../index/db.js';
import type { Logger } from '../lib/log.js';
import { toAtnaXml, type AtnaOptions } from './atna-xml.js';
import { formatSyslog, type SyslogTransport } from './syslog.js';

export interface AuditExporterOptions {
  database: Pick<Database, 'db' | 'driver'>;
  transport: SyslogTransport;
  /** The cursor's key in `audit_export` (the syslog URL): each destination has its own. */
  destination: string;
  log: Logger;
  /** AUDIT_SITE_ID. */
  siteId: string;
  /** Records read and sent per round (default 100). */
  batchSize?: number;
  /** Pause between rounds when everything was delivered (default 5 s). */
  pollMs?: number;
  /** Back-off after a failure: doubles from `minBackoffMs` to `maxBackoffMs` (1 s → 60 s). */
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

interface BatchResult {
  sent: number;
  full: boolean;
  failure?: { seq: number; error: unknown };
}

/**
 * Sends the audit trail to an ATNA audit record repository (IHE ITI-20), in seq order, in the
 * background. The log in the index is the spool: a record counts as delivered only once the
 * transport took it, and the cursor (`audit_export.delivered_seq`) then moves past it. After a
 * failure nothing is lost: the loop backs off (1 s doubling to 60 s) and starts again from the
 * cursor. Delivery is at least once: a crash between a send and the cursor's update, or a TLS
 * connection that the receiver drops after accepting the bytes into its buffer, can repeat or
 * lose-then-resend records; in the normal path each record goes out exactly once.
 *
 * Requests never wait for this and never see its errors. Logs carry seq numbers and error codes
 * only (the records hold pseudonyms, but even those stay out of the log).
 */
export class AuditExporter {
  private loop: Promise<void> | undefined;
  private stopping = false;
  private wake: (() => void) | undefined;
  private readonly atna: AtnaOptions;
  private readonly hostname = hostname();

  constructor(private readonly options: AuditExporterOptions) {
    this.atna = { siteId: options.siteId, hostname: this.hostname, processId: process.pid };
  }

  /** Starts the loop (once). */
  start(): void {
    if (this.loop) return;
    this.stopping = false;
    this.loop = this.run();
  }

  /** A new record was written: look now rather than at the next poll (ignored while backing off). */
  nudge(): void {
    this.wake?.();
  }

  /** Stops the loop after the send in flight, and closes the transport. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.loop;
    this.loop = undefined;
    await this.options.transport.close();
  }

  /**
   * Delivers every pending record, batch by batch; returns how many were sent. Throws the
   * transport's error once the records before the failing one are recorded as delivered.
   * Returns 0 at once when another node is exporting to this destination.
   */
  async exportPending(): Promise<number> {
    const batchSize = this.options.batchSize ?? 100;
    let total = 0;
    while (!this.stopping) {
      const claim = await withExportCursor(this.options.database, this.options.destination, (c) =>
        this.deliverBatch(c, batchSize),
      );
      if (!claim.claimed) return total;
      total += claim.value.sent;
      const { failure } = claim.value;
      if (failure) throw new DeliveryFailure(failure.seq, failure.error);
      if (!claim.value.full) break;
    }
    return total;
  }

  private async deliverBatch(cursor: ExportCursor, batchSize: number): Promise<BatchResult> {
    const rows = await cursor.next(batchSize);
    let delivered = cursor.deliveredSeq;
    let sent = 0;
    let failure: BatchResult['failure'];
    for (const row of rows) {
      if (this.stopping) break;
      const message = this.format(row);
      if (message.length > this.options.transport.maxMessageBytes) {
        // It can never be sent; holding the cursor here would stop the trail for good.
        this.options.log.error('audit export: record too large for the transport, skipped', {
          seq: row.seq,
          bytes: message.length,
        });
      } else {
        try {
          await this.options.transport.send(message);
          sent++;
        } catch (error) {
          failure = { seq: row.seq, error };
          break;
        }
      }
      delivered = row.seq;
    }
    await cursor.advance(delivered);
    return { sent, full: rows.length === batchSize && !failure, ...(failure ? { failure } : {}) };
  }

  private format(row: AuditLogRow): Buffer {
    return formatSyslog(toAtnaXml(row, this.atna), {
      at: row.at,
      severity: row.outcome === 0 ? 'notice' : 'warning',
      hostname: this.hostname,
      procId: process.pid,
    });
  }

  private async run(): Promise<void> {
    const { log } = this.options;
    const pollMs = this.options.pollMs ?? 5000;
    const minBackoffMs = this.options.minBackoffMs ?? 1000;
    const maxBackoffMs = this.options.maxBackoffMs ?? 60_000;
    let backoffMs = 0;
    while (!this.stopping) {
      try {
        const sent = await this.exportPending();
        if (backoffMs > 0) log.info('audit export: delivering again', { sent });
        backoffMs = 0;
      } catch (error) {
        backoffMs = backoffMs === 0 ? minBackoffMs : Math.min(backoffMs * 2, maxBackoffMs);
        const fields =
          error instanceof DeliveryFailure
            ? { seq: error.seq, error: error.cause }
            : { error, seq: undefined };
        log.warn('audit export failed; records stay spooled and are retried', {
          ...fields,
          retryInMs: backoffMs,
        });
      }
      if (this.stopping) break;
      // A nudge may cut the poll short, not the back-off: every request would hammer a
      // receiver that is down.
      await this.sleep(backoffMs > 0 ? backoffMs : pollMs, backoffMs === 0);
    }
  }

  private sleep(ms: number, wakeable: boolean): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      timer.unref();
      // stop() always wakes; nudge() only when the loop is merely polling.
      this.wake = wakeable ? done : () => (this.stopping ? done() : undefined);
    });
  }
}

/** The transport refused record `seq`; everything before it is delivered. */
class DeliveryFailure extends Error {
  override readonly name = 'DeliveryFailure';
  constructor(
    readonly seq: number,
    cause: unknown,
  ) {
    super('audit record not delivered', { cause });
  }
}

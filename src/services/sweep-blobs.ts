import {
  claimDueBlobs,
  forgetJournalEntries,
  type JournalEntry,
} from '../index/blob-journal.repository.js';
import type { Db } from '../index/db.js';
import type { Logger } from '../lib/log.js';
import type { BlobStore } from '../storage/blob-store.js';

export interface SweepReport {
  deleted: number;
  failed: number;
}

/**
 * Deletes blobs the journal says nobody references: uploads that died before their commit
 * (pending past the grace period), replaced versions and deleted instances. Blob deletion is
 * idempotent, so two processes sweeping the same entry is harmless.
 */
export class SweepBlobs {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<SweepReport> | undefined;

  constructor(
    private readonly deps: {
      db: Db;
      /** Stores by tier name (the journal records the tier of every key). */
      stores: ReadonlyMap<string, BlobStore>;
      log: Logger;
      batchSize?: number;
    },
  ) {}

  /** One sweep: every due entry, batch by batch. */
  async sweep(): Promise<SweepReport> {
    this.running ??= this.sweepAll().finally(() => (this.running = undefined));
    return this.running;
  }

  private async sweepAll(): Promise<SweepReport> {
    const report: SweepReport = { deleted: 0, failed: 0 };
    const batchSize = this.deps.batchSize ?? 500;
    for (;;) {
      const due = await claimDueBlobs(this.deps.db, batchSize);
      const { done, failed } = await this.deleteBlobs(due);
      report.deleted += done;
      report.failed += failed;
      // Failed entries stay due; stop rather than spin on them until the next interval.
      if (due.length < batchSize || done === 0) return report;
    }
  }

  /** Deletes the given journal entries' blobs now and forgets the entries that succeeded. */
  async deleteEntries(entries: JournalEntry[]): Promise<void> {
    await this.deleteBlobs(entries);
  }

  private async deleteBlobs(entries: JournalEntry[]): Promise<{ done: number; failed: number }> {
    const forgotten: number[] = [];
    let failed = 0;
    await Promise.all(
      entries.map(async (entry) => {
        const store = this.deps.stores.get(entry.storageTier);
        if (!store) {
          failed++;
          this.deps.log.warn('sweep: unknown storage tier', { tier: entry.storageTier });
          return;
        }
        try {
          await store.delete(entry.blobKey);
          forgotten.push(entry.id);
        } catch (error) {
          failed++;
          this.deps.log.warn('sweep: blob delete failed', { key: entry.blobKey, error });
        }
      }),
    );
    await forgetJournalEntries(this.deps.db, forgotten);
    return { done: forgotten.length, failed };
  }

  /** Sweeps every `intervalSeconds` (0 = never) until `stop()`. */
  start(intervalSeconds: number): void {
    if (intervalSeconds <= 0) return;
    this.timer = setInterval(() => {
      this.sweep().catch((error: unknown) => this.deps.log.error('sweep failed', { error }));
    }, intervalSeconds * 1000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }
}

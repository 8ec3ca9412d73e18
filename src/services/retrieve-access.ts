/**
 * Records that instances were read, for the HSM recall/demotion policy (services/migrate-tiers
 * reads `instances.last_accessed_at`). Cheap on the read path: ids are collected in memory and
 * written with ONE UPDATE at most every `flushIntervalMs`. An access is recorded BEFORE the
 * storage read, so a read that fails because its tier is offline still counts — that is how
 * the recall policy learns which offline instances are wanted.
 */
import type { Db } from '../index/db.js';
import { touchInstances } from '../index/retrieve.repository.js';
import type { Logger } from '../lib/log.js';

export interface AccessRecorderDeps {
  db: Db;
  log?: Logger | undefined;
  /** Default 5 s. */
  flushIntervalMs?: number;
  /** Flush early when this many ids wait (bounds memory). Default 10 000. */
  maxPending?: number;
}

export class AccessRecorder {
  private pending = new Set<number>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(private readonly deps: AccessRecorderDeps) {}

  /** Notes an access; the write happens later, in a batch. */
  record(ids: Iterable<number>): void {
    for (const id of ids) this.pending.add(id);
    if (this.pending.size >= (this.deps.maxPending ?? 10_000)) {
      void this.flush();
      return;
    }
    if (this.timer) return;
    this.timer = setTimeout(() => void this.flush(), this.deps.flushIntervalMs ?? 5000);
    // A pending touch must not keep the process alive; close() flushes on shutdown.
    this.timer.unref();
  }

  /** Writes what is pending now (one UPDATE); failures are logged, never thrown to readers. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const ids = [...this.pending];
    this.pending = new Set();
    if (ids.length === 0) return this.flushing;
    this.flushing = this.flushing
      .then(() => touchInstances(this.deps.db, ids))
      .catch((error: unknown) => {
        this.deps.log?.warn('could not record instance access', {
          count: ids.length,
          error: error instanceof Error ? error.name : 'unknown',
        });
      });
    return this.flushing;
  }
}

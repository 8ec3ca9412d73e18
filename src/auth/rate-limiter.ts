import { systemClock, type Clock } from '../lib/clock.js';

export interface RateLimit {
  /** Attempts allowed per window; 0 = no limit. */
  limit: number;
  windowMs: number;
}

export type Admission = { admitted: true } | { admitted: false; retryAfterSeconds: number };

/**
 * Per-key sliding-window counter (keys: a client address, a principal, an account name). State
 * is per process: behind a balancer each node counts on its own, so N nodes admit up to N times
 * the limit; account lockout, which must hold across nodes, lives in the index instead.
 * Memory is bounded: keys idle for a whole window are dropped.
 */
export class RateLimiter {
  private readonly hits = new Map<string, number[]>();
  private lastPrune = 0;

  constructor(
    private readonly rate: RateLimit,
    private readonly clock: Clock = systemClock,
    /** Most keys tracked at once; beyond it the oldest are forgotten (an address flood). */
    private readonly maxKeys = 100_000,
  ) {}

  /** Counts one attempt for `key` and says whether it may go ahead. */
  take(key: string): Admission {
    if (this.rate.limit <= 0) return { admitted: true };
    const now = this.clock.now().getTime();
    this.prune(now);
    const since = now - this.rate.windowMs;
    const times = (this.hits.get(key) ?? []).filter((t) => t > since);
    if (times.length >= this.rate.limit) {
      this.hits.set(key, times);
      return { admitted: false, retryAfterSeconds: Math.max(1, (times[0]! - since) / 1000) };
    }
    times.push(now);
    this.hits.delete(key); // re-insert: Map order is then least recently used first
    this.hits.set(key, times);
    while (this.hits.size > this.maxKeys) this.hits.delete(this.hits.keys().next().value!);
    return { admitted: true };
  }

  /** Forgets `key` (a successful sign-in clears its address's failures). */
  reset(key: string): void {
    this.hits.delete(key);
  }

  private prune(now: number): void {
    if (now - this.lastPrune < this.rate.windowMs) return;
    this.lastPrune = now;
    const since = now - this.rate.windowMs;
    for (const [key, times] of this.hits) {
      if ((times.at(-1) ?? 0) <= since) this.hits.delete(key);
    }
  }
}

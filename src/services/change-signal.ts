/**
 * Tells waiters that the change feed may have grown: change-ticker.ts polls the index
 * (and is nudged by this process's own commits). The interface lets tests and other front ends bring their own.
 */
export interface ChangeSignal {
  /**
   * Resolves true once the feed is known to hold a Sequence above `after` (at once when it
   * already is), false after `timeoutMs` or when `abort` fires.
   */
  wait(after: number, timeoutMs: number, abort?: AbortSignal): Promise<boolean>;
  /** This process committed a change: look now rather than at the next poll. */
  nudge(): void;
}

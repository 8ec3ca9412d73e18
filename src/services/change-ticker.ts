import { lastSequence, publishChanges } from '../index/change-feed.repository.js';
import type { Db } from '../index/db.js';
import type { Logger } from '../lib/log.js';
import type { ChangeSignal } from './change-signal.js';

export interface ChangeTickerOptions {
  db: Db;
  log: Logger;
  /** How often the index is asked for new entries (other nodes' commits). */
  pollMs: number;
}

/**
 * The change signal of this process: publishes committed outbox rows and reads the feed's head
 * every `pollMs`, at once when nudged (this process's STOW and DELETE commit), and wakes the
 * waiters (event streams, the webhook dispatcher) when the head moved. Polling covers commits of
 * other nodes sharing the index; the nudge makes local changes appear without the poll's delay.
 * It polls only while someone waits.
 */
export class ChangeTicker implements ChangeSignal {
  private head = 0;
  private readonly waiters = new Set<() => void>();
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(private readonly options: ChangeTickerOptions) {}

  wait(after: number, timeoutMs: number, abort?: AbortSignal): Promise<boolean> {
    if (this.head > after) return Promise.resolve(true);
    if (this.stopped || abort?.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = (changed: boolean) => {
        clearTimeout(timeout);
        abort?.removeEventListener('abort', aborted);
        this.waiters.delete(wake);
        resolve(changed);
      };
      const wake = () => {
        if (this.head > after || this.stopped) done(this.head > after);
      };
      const aborted = () => done(false);
      const timeout = setTimeout(() => done(false), timeoutMs);
      abort?.addEventListener('abort', aborted, { once: true });
      this.waiters.add(wake);
      this.schedule();
    });
  }

  nudge(): void {
    if (this.waiters.size > 0) void this.poll();
  }

  /** Wakes every waiter (false) and polls no more. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    for (const wake of [...this.waiters]) wake();
  }

  private schedule(): void {
    if (this.timer || this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.poll().finally(() => {
        if (this.waiters.size > 0) this.schedule();
      });
    }, this.options.pollMs);
    this.timer.unref();
  }

  /** One poll at a time; a nudge during one runs another right after it. */
  private poll(): Promise<void> {
    if (this.polling) {
      this.again = true;
      return this.polling;
    }
    this.polling = (async () => {
      do {
        this.again = false;
        try {
          await publishChanges(this.options.db);
          const head = await lastSequence(this.options.db);
          if (head > this.head) {
            this.head = head;
            for (const wake of [...this.waiters]) wake();
          }
        } catch (error) {
          // The index is down: waiters keep waiting and the next poll tries again.
          this.options.log.warn('change feed poll failed', { error });
        }
      } while (this.again && !this.stopped);
    })().finally(() => {
      this.polling = undefined;
    });
    return this.polling;
  }
}

import type { Logger } from '../lib/log.js';
import type { Db } from './db.js';
import { IndexUnavailableError, refusedCause, unavailableCause } from './errors.js';
import { pingIndex } from './ping.js';

export interface WaitForIndexOptions {
  /** Keep retrying an unreachable database this long (0 = fail on the first refusal). */
  retryForMs: number;
  log: Logger;
  /** Tests pass fakes; default real time. */
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

/** First retry delay and its cap: quick when the database is seconds away, calm after. */
const FIRST_DELAY_MS = 500;
const MAX_DELAY_MS = 10_000;

/**
 * Start-up: waits until the index answers. A database that is not up yet (refused, reset,
 * timed out, starting up, name not resolvable yet) is retried with exponential backoff (0.5 s,
 * doubling, at most 10 s) for `retryForMs`, one warn line per attempt naming the error code,
 * the attempt and the next delay (never the URL: it may hold a password). A refusal that
 * waiting cannot fix (authentication, unknown database) throws IndexRefusedError at once; when
 * the window closes, IndexUnavailableError says so with the last code.
 */
export async function waitForIndex(db: Db, options: WaitForIndexOptions): Promise<void> {
  const sleep = options.sleep ?? ((ms) => new Promise<void>((r) => setTimeout(r, ms)));
  const now = options.now ?? (() => performance.now());
  const started = now();
  for (let attempt = 1; ; attempt++) {
    try {
      await pingIndex(db);
      if (attempt > 1) options.log.info('index reachable', { attempt });
      return;
    } catch (error) {
      const refused = refusedCause(error);
      if (refused) throw refused;
      const cause = unavailableCause(error);
      if (!cause) throw error;
      const code = (cause as { code?: string }).code;
      const delayMs = Math.min(FIRST_DELAY_MS * 2 ** (attempt - 1), MAX_DELAY_MS);
      const leftMs = options.retryForMs - (now() - started);
      if (delayMs > leftMs) {
        throw new IndexUnavailableError(
          { cause },
          `the index database could not be reached (${attempt} attempt(s) in ` +
            `${Math.round((now() - started) / 1000)} s, last error ${code}); ` +
            'DATABASE_CONNECT_RETRY_SECONDS sets how long start-up waits for it',
        );
      }
      options.log.warn('index not reachable yet, retrying', { code, attempt, retryInMs: delayMs });
      await sleep(delayMs);
    }
  }
}

import type { MiddlewareHandler } from 'hono';
import { RateLimitedError } from '../auth/errors.js';
import { RateLimiter } from '../auth/rate-limiter.js';
import type { Clock } from '../lib/clock.js';
import { principalOf } from './access.js';
import { clientAddressOf } from './client-address.js';

export interface ExpensiveGateOptions {
  /** Expensive requests per key per minute (RATE_LIMIT_EXPENSIVE_PER_MINUTE); 0 = no limit. */
  perMinute: number;
  clock?: Clock | undefined;
}

/**
 * QIDO parameters that do not narrow a search (PS3.18 Table 8.3.4-1): paging, returned
 * attributes and matching modifiers. A search with nothing else lists the whole archive.
 */
const NOT_FILTERS: ReadonlySet<string> = new Set([
  'limit',
  'offset',
  'includefield',
  'fuzzymatching',
  'emptyvaluematching',
  'multiplevaluematching',
]);

/** The top-level QIDO routes: `/studies`, `/series`, `/instances` under the DICOMweb root. */
const QIDO_SEARCH = /\/(studies|series|instances)$/;

/**
 * The gate of `expensive` routes (web/routes.ts marks them; web/access.ts runs this after the
 * access check): rendering, thumbnails, whole-study and whole-series retrieves, and broad
 * searches. One sliding window per key (auth/rate-limiter.ts); beyond it 429 with Retry-After.
 *
 * The key is the principal for a request with credentials, the client address (behind trusted
 * proxies, the one they name) for an anonymous one. Colleagues behind one hospital NAT or proxy
 * share an address but not a token: counting signed-in users by address would let one user's
 * viewer use up everyone's budget, while anonymous requests have nothing but the address.
 *
 * A search counts only when it is broad: no parameter beyond paging, includefield and the
 * matching modifiers, or only universal values (PS3.4 C.2.2.2.3: empty, or `*` alone), since
 * that is what scans the archive. A search on PatientID or a study's UID is a lookup, and the
 * study list of a viewer sends one per keystroke.
 */
export function expensiveGate(options: ExpensiveGateOptions): MiddlewareHandler | undefined {
  if (options.perMinute <= 0) return undefined;
  const limiter = new RateLimiter({ limit: options.perMinute, windowMs: 60_000 }, options.clock);
  return async (c, next) => {
    if (QIDO_SEARCH.test(c.req.routePath) && !isBroadSearch(new URL(c.req.url).searchParams)) {
      return next();
    }
    const principal = principalOf(c);
    const key =
      principal === undefined || principal.method === 'anonymous'
        ? `address:${clientAddressOf(c)}`
        : `principal:${principal.method}:${principal.id}`;
    const admission = limiter.take(key);
    if (!admission.admitted) {
      throw new RateLimitedError(admission.retryAfterSeconds, 'expensive requests');
    }
    return next();
  };
}

/** True when no parameter narrows the search (see expensiveGate). */
export function isBroadSearch(params: URLSearchParams): boolean {
  for (const [name, value] of params) {
    if (NOT_FILTERS.has(name.toLowerCase())) continue;
    if (value === '' || /^\*+$/.test(value)) continue;
    return false;
  }
  return true;
}

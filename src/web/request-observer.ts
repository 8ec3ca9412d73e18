import type { MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import type { RouteTable } from './access.js';

/** What a request came to: its route template (or `unmatched`) and status. */
export interface RequestAnswer {
  route: string;
  status: number;
}

/**
 * Told of every request (metrics count and time it, tracing wraps it in a span): `around` runs
 * `handle` (the rest of the middleware chain and the route) and may read `answer()` once it
 * has settled. Errors are answers by then (the problem+json map runs inside).
 */
export interface RequestObserver {
  /** `header`: a request header by name (tracing reads W3C `traceparent` from it). */
  around(
    method: string,
    handle: () => Promise<void>,
    answer: () => RequestAnswer,
    header: (name: string) => string | undefined,
  ): Promise<void>;
}

/** Where a request went that matched no route of the table (404s, probes for random paths). */
export const UNMATCHED = 'unmatched';

/**
 * The first middleware: each observer wraps the next, the last wraps the request. The route is
 * the template of the table's route the request matched (`/dicom-web/studies/:study/series`),
 * even when it was refused before reaching it (401, 429); a path that matched no route is
 * `unmatched`. Never the URL itself: paths carry UIDs.
 */
export function observeRequests(
  observers: readonly RequestObserver[],
  table: RouteTable,
): MiddlewareHandler {
  // The table is complete before the first request; rebuilt only if it grew since.
  let known = new Set<string>();
  const templates = (): ReadonlySet<string> => {
    if (known.size !== table.records.length) known = new Set(table.records.map((r) => r.path));
    return known;
  };
  return async (c, next) => {
    const answer = (): RequestAnswer => {
      const known = templates();
      const route = matchedRoutes(c)
        .filter((r) => r.method !== 'ALL' && known.has(r.path))
        .at(-1)?.path;
      return { route: route ?? UNMATCHED, status: c.res.status };
    };
    let chain = (): Promise<void> => next();
    for (const observer of [...observers].reverse()) {
      const inner = chain;
      chain = () => observer.around(c.req.method, inner, answer, (name) => c.req.header(name));
    }
    await chain();
  };
}

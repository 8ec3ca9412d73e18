import { timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import type { RouteTable } from './access.js';

export interface MetricsRouteOptions {
  /** The Prometheus text exposition of the server's figures (metrics/metrics.ts). */
  scrape(): Promise<{ contentType: string; body: string }>;
  /** METRICS_PUBLIC: served without credentials, for a scraper on a private network. */
  public: boolean;
  /** METRICS_TOKEN: a bearer token that may scrape `/metrics` and do nothing else. */
  token?: string | undefined;
}

export const METRICS_PATH = '/metrics';

async function metricsResponse(c: Context, options: MetricsRouteOptions): Promise<Response> {
  const { contentType, body } = await options.scrape();
  c.header('Cache-Control', 'no-store');
  return c.body(body, 200, { 'Content-Type': contentType });
}

/**
 * `GET /metrics`: the admin action by default (figures are not patient data, but they tell how
 * busy and how large the archive is), or public with METRICS_PUBLIC=true.
 */
export function registerMetricsRoute(table: RouteTable, options: MetricsRouteOptions): void {
  table.add('get', METRICS_PATH, options.public ? 'public' : 'admin', (c) =>
    metricsResponse(c, options),
  );
}

/**
 * METRICS_TOKEN, checked before authentication: the scraper's token is not a credential the
 * authenticator knows (it would be refused, and audited as a failed login), so a request to
 * `/metrics` bearing exactly it is answered here; any other goes on to authentication and the
 * route's own action (admin), as without the setting. Compared in constant time.
 */
export function metricsTokenGate(options: MetricsRouteOptions): MiddlewareHandler {
  const expected = options.token === undefined ? undefined : Buffer.from(`Bearer ${options.token}`);
  return async (c, next) => {
    if (expected !== undefined && c.req.method === 'GET' && c.req.path === METRICS_PATH) {
      const given = Buffer.from(c.req.header('Authorization') ?? '');
      if (given.length === expected.length && timingSafeEqual(given, expected)) {
        return metricsResponse(c, options);
      }
    }
    await next();
  };
}

import type { Services } from '../services/services.js';
import type { RouteTable } from './access.js';

/** Seconds a load balancer should wait before asking again when not ready (RFC 9110 10.2.3). */
const NOT_READY_RETRY_AFTER_SECONDS = 5;

/**
 * Probes for orchestrators, outside the DICOMweb root and without auth (they reveal only
 * dependency names and error codes, never data):
 * - `/healthz`, liveness: the process runs and its event loop answers. It checks no dependency,
 *   so a database outage never gets a healthy server restarted (Kubernetes livenessProbe).
 * - `/readyz`, readiness: the index and every storage tier answer now (services/readiness.ts);
 *   200 when all do, else 503 naming the failing checks (Kubernetes readinessProbe, compose
 *   `depends_on: condition: service_healthy`, the Dockerfile HEALTHCHECK).
 */
export function registerHealthRoutes(table: RouteTable, services: Services): void {
  table.add('get', '/healthz', 'public', (c) => c.json({ status: 'ok' }));
  table.add('get', '/readyz', 'public', async (c) => {
    const report = await services.readiness.check();
    c.header('Cache-Control', 'no-store');
    if (report.ready) return c.json({ status: 'ready', checks: report.checks });
    c.header('Retry-After', String(NOT_READY_RETRY_AFTER_SECONDS));
    return c.json({ status: 'unavailable', checks: report.checks }, 503);
  });
}

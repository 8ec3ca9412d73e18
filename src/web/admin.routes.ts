import { parseAuditFilters, type AuditSearch } from '../audit/search.js';
import type { Services } from '../services/services.js';
import type { RouteTable } from './access.js';
import { BadRequestError } from './errors.js';
import { registerWebhookRoutes } from './webhooks.routes.js';

/**
 * Operator endpoints, outside the DICOMweb root: HSM cycles on demand, tier statistics and the
 * cycle history. They need the admin action (an admin role, or ADMIN_TOKEN).
 */
export function registerAdminRoutes(
  table: RouteTable,
  services: Services,
  auditSearch?: AuditSearch,
): void {
  table.add('post', '/hsm/run', 'admin', async (c) =>
    c.json(await services.maintenance.hsm.runCycle('admin')),
  );
  table.add('get', '/hsm/stats', 'admin', async (c) =>
    c.json({
      tiers: await services.maintenance.hsm.statistics(),
      totals: await services.maintenance.hsm.totals(),
    }),
  );
  table.add('get', '/hsm/cycles', 'admin', async (c) => {
    const limit = Number(c.req.query('limit') ?? '20');
    const bounded = Number.isSafeInteger(limit) ? Math.min(Math.max(limit, 1), 500) : 20;
    return c.json({
      totals: await services.maintenance.hsm.totals(),
      cycles: await services.maintenance.hsm.recentCycles(bounded),
    });
  });
  // Verify runs in the background (it can take hours); GET shows the run and the last report.
  table.add('get', '/verify', 'admin', (c) =>
    c.json(services.maintenance.verifyRuns.status(), 200, { 'Cache-Control': 'no-store' }),
  );
  table.add('post', '/verify', 'admin', (c) => {
    const checksums = c.req.query('checksums') !== 'false';
    const started = services.maintenance.verifyRuns.start(checksums);
    return c.json(services.maintenance.verifyRuns.status(), started ? 202 : 409);
  });
  registerWebhookRoutes(table, services);
  if (auditSearch) {
    // The audit trail, newest first: ?patientId, studyUid, user, event, from, to, limit (≤ 1000),
    // before=<seq> for the next page. Patient and study are matched by their keyed hashes.
    table.add('get', '/audit', 'admin', async (c) => {
      const filters = parseAuditFilters(c.req.query());
      if (typeof filters === 'string') throw new BadRequestError(filters);
      const records = await auditSearch.search(filters);
      const last = records.at(-1);
      return c.json({
        records,
        next: records.length === filters.limit && last ? last.seq : null,
      });
    });
  }
}

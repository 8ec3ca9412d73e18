import type { Services } from '../services/services.js';
import type { RouteTable } from './access.js';

/**
 * Operator endpoints, outside the DICOMweb root: HSM cycles on demand, tier statistics and the
 * cycle history. They need the admin action (an admin role, or ADMIN_TOKEN).
 */
export function registerAdminRoutes(table: RouteTable, services: Services): void {
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
}

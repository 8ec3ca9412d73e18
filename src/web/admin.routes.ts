import { createHash, timingSafeEqual } from 'node:crypto';
import { Hono, type MiddlewareHandler } from 'hono';
import { ProjectError } from '../lib/errors.js';
import type { Services } from '../services/services.js';

/**
 * Operator endpoints, outside the DICOMweb root: HSM cycles on demand, tier statistics and the
 * cycle history. PHI-adjacent (keys, tiers, volumes), so they exist only when ADMIN_TOKEN is
 * configured (404 otherwise, as if absent) and every request must carry
 * `Authorization: Bearer <token>` (RFC 6750), compared in constant time.
 */
export function adminRoutes(services: Services, token: string): Hono {
  const admin = new Hono();
  admin.use(requireBearer(token));
  admin.post('/hsm/run', async (c) => c.json(await services.maintenance.hsm.runCycle('admin')));
  admin.get('/hsm/stats', async (c) =>
    c.json({
      tiers: await services.maintenance.hsm.statistics(),
      totals: await services.maintenance.hsm.totals(),
    }),
  );
  admin.get('/hsm/cycles', async (c) => {
    const limit = Number(c.req.query('limit') ?? '20');
    const bounded = Number.isSafeInteger(limit) ? Math.min(Math.max(limit, 1), 500) : 20;
    return c.json({
      totals: await services.maintenance.hsm.totals(),
      cycles: await services.maintenance.hsm.recentCycles(bounded),
    });
  });
  return admin;
}

function requireBearer(token: string): MiddlewareHandler {
  // Hashing both sides gives equal lengths, so timingSafeEqual never leaks the token's length.
  const expected = createHash('sha256').update(token).digest();
  return async (c, next) => {
    const header = c.req.header('Authorization') ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    const given = createHash('sha256')
      .update(match?.[1] ?? '')
      .digest();
    if (!match || !timingSafeEqual(given, expected)) {
      // RFC 6750 §3: a 401 names the scheme the client must use.
      c.header('WWW-Authenticate', 'Bearer realm="strata-admin"');
      throw new AdminUnauthorizedError();
    }
    await next();
  };
}

/** Missing or wrong admin bearer token (web/problem.ts: 401). */
export class AdminUnauthorizedError extends ProjectError {
  override readonly name = 'AdminUnauthorizedError';
  readonly code = 'web.unauthorized';
  constructor() {
    super('admin endpoints need Authorization: Bearer <ADMIN_TOKEN>');
  }
}

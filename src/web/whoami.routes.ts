import { ACTIONS } from '../auth/principal.js';
import { principalOf, type RouteTable } from './access.js';

/**
 * GET /auth/whoami: the caller's own identity and what it may do, so a client (the web console)
 * shows only what will work (no delete button for a reader, no admin pages without admin).
 * `public` because it tells a caller only about itself: without credentials the answer is the
 * anonymous principal's actions (empty when anonymous access is off); invalid credentials are
 * refused with 401 by the authentication middleware before this runs. Never cached: the answer
 * depends on the Authorization header.
 */
export function registerWhoamiRoute(table: RouteTable): void {
  table.add('get', '/auth/whoami', 'public', (c) => {
    const principal = principalOf(c);
    const body = principal
      ? {
          authenticated: principal.method !== 'anonymous',
          id: principal.id,
          method: principal.method,
          roles: principal.roles,
          actions: ACTIONS.filter((a) => principal.actions.has(a)),
          patientScoped: principal.patientIds !== undefined,
        }
      : {
          authenticated: false,
          id: null,
          method: null,
          roles: [],
          actions: [],
          patientScoped: false,
        };
    return c.json(body, 200, { 'Cache-Control': 'no-store', Vary: 'Authorization' });
  });
}

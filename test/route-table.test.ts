import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hono } from 'hono';
import { Authenticator } from '../src/auth/authenticate.js';
import { InvalidTokenError } from '../src/auth/errors.js';
import { ACTIONS, type Action, type Principal } from '../src/auth/principal.js';
import { actionsOf, DEFAULT_ROLES } from '../src/auth/roles.js';
import type { RouteRecord } from '../src/web/access.js';
import { openFullApp, type FullApp } from './helpers/full-app.js';

/**
 * The route table as a whole: every route declares its action (deny by default), and each role
 * reaches exactly the routes its actions allow. Credentials are API-key-shaped strings naming
 * a role, verified by a test verifier; the Authenticator and the route gates are the real ones.
 */
const ADMIN_TOKEN = 'route-table-admin-token-0123456789';
const ROLES = [...DEFAULT_ROLES.keys()];

let full: FullApp;
let app: Hono;
let records: readonly RouteRecord[];

beforeAll(async () => {
  const authenticator = new Authenticator({
    adminToken: ADMIN_TOKEN,
    apiKeys: {
      verify: (key: string): Promise<Principal> => {
        const role = key.slice('strata_'.length);
        if (!DEFAULT_ROLES.has(role)) return Promise.reject(new InvalidTokenError('unknown'));
        const principal: Principal = {
          method: 'api-key',
          id: role,
          roles: [role],
          actions: actionsOf([role], DEFAULT_ROLES),
        };
        return Promise.resolve(principal);
      },
    },
    claims: { rolesClaim: 'roles', patientClaim: 'patient', roleMap: DEFAULT_ROLES },
    anonymous: new Set(),
  });
  // Every optional route is on, so the walk covers them too.
  full = await openFullApp(authenticator);
  ({ app, records } = full);
});
afterAll(async () => {
  await full?.close();
});

/** A concrete URL for a template: UIDs for parameters, a name for the bulk data wildcard. */
function urlOf(path: string): string {
  return path
    .replace(/:frames/g, '1')
    .replace(/:[a-z]+/g, '1.2.3')
    .replace(/\*$/, 'x');
}

async function status(record: RouteRecord, authorization?: string): Promise<number> {
  const response = await app.request(urlOf(record.path), {
    method: record.method,
    headers: authorization ? { Authorization: authorization } : {},
  });
  // An event stream never ends by itself: its status is all this walk needs.
  if (response.headers.get('content-type')?.startsWith('text/event-stream')) {
    await response.body?.cancel();
  } else {
    await response.arrayBuffer();
  }
  return response.status;
}

describe('#12: the route table', () => {
  it('every route of the app declares its action (deny by default)', () => {
    const declared = new Set(records.map((r) => `${r.method} ${r.path}`));
    const routes = app.routes.filter((r) => r.method !== 'ALL');
    expect(routes.length).toBeGreaterThan(30);
    const undeclared = routes.filter((r) => !declared.has(`${r.method} ${r.path}`));
    expect(undeclared.map((r) => `${r.method} ${r.path}`)).toEqual([]);
    // Only the probes, the API description, the token endpoint (which takes credentials in its
    // body), the caller's own identity and the web console's pages and scripts (no data) are
    // public; /metrics needs admin unless METRICS_PUBLIC says otherwise.
    expect(records.filter((r) => r.access === 'public').map((r) => r.path)).toEqual([
      '/healthz',
      '/readyz',
      '/openapi.json',
      '/auth/token',
      '/auth/whoami',
      '/',
      '/console/*',
    ]);
    expect(records.find((r) => r.path === '/metrics')?.access).toBe('admin');
  });

  it('#14: the change feed and event stream need read; webhook subscriptions need admin', () => {
    const access = (method: string, path: string) =>
      records.find((r) => r.method === method && r.path === path)?.access;
    expect(access('GET', '/dicom-web/changefeed')).toBe('read');
    expect(access('GET', '/dicom-web/changefeed/latest')).toBe('read');
    expect(access('GET', '/dicom-web/events')).toBe('read');
    expect(access('POST', '/admin/webhooks')).toBe('admin');
    expect(access('GET', '/admin/webhooks')).toBe('admin');
    expect(access('DELETE', '/admin/webhooks/:id')).toBe('admin');
  });

  it('without credentials every non-public route answers 401 with a Bearer challenge', async () => {
    for (const record of records.filter((r) => r.access !== 'public')) {
      const response = await app.request(urlOf(record.path), { method: record.method });
      expect(response.status, `${record.method} ${record.path}`).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer realm="strata"');
    }
  });

  it.each(ROLES)(
    'role %s reaches exactly the routes its actions allow (else 403)',
    async (role) => {
      const actions = actionsOf([role], DEFAULT_ROLES);
      for (const record of records.filter((r) => r.access !== 'public')) {
        const got = await status(record, `Bearer strata_${role}`);
        const label = `${role}: ${record.method} ${record.path}`;
        if (actions.has(record.access as Action)) expect([401, 403], label).not.toContain(got);
        else expect(got, label).toBe(403);
      }
    },
  );

  it('ADMIN_TOKEN holds the admin action only: admin routes yes, images no', async () => {
    for (const record of records.filter((r) => r.access !== 'public')) {
      const got = await status(record, `Bearer ${ADMIN_TOKEN}`);
      const label = `${record.method} ${record.path}`;
      if (record.access === 'admin') expect([401, 403], label).not.toContain(got);
      else expect(got, label).toBe(403);
    }
  });

  it('covers every action', () => {
    expect(new Set(records.map((r) => r.access))).toEqual(new Set([...ACTIONS, 'public']));
  });
});

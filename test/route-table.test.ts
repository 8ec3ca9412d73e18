import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hono } from 'hono';
import { Pseudonyms } from '../src/audit/pseudonym.js';
import { AuditSearch } from '../src/audit/search.js';
import { Authenticator } from '../src/auth/authenticate.js';
import { RateLimiter } from '../src/auth/rate-limiter.js';
import {
  InvalidAuthRequestError,
  InvalidGrantError,
  InvalidTokenError,
} from '../src/auth/errors.js';
import { loadConsoleAssets } from '../src/console/assets.js';
import { ACTIONS, type Action, type Principal } from '../src/auth/principal.js';
import { actionsOf, DEFAULT_ROLES } from '../src/auth/roles.js';
import { ImagingPool } from '../src/imaging/imaging-pool.js';
import { createServices } from '../src/services/services.js';
import {
  openServiceFixture,
  STORE_OPTIONS,
  type ServiceFixture,
} from '../src/services/testing/service-fixture.js';
import type { RouteRecord } from '../src/web/access.js';
import { createAppWithTable } from '../src/web/app.js';
import { UploadArea } from '../src/web/uploads/upload-area.js';

/**
 * The route table as a whole: every route declares its action (deny by default), and each role
 * reaches exactly the routes its actions allow. Credentials are API-key-shaped strings naming
 * a role, verified by a test verifier; the Authenticator and the route gates are the real ones.
 */
const ADMIN_TOKEN = 'route-table-admin-token-0123456789';
const ROLES = [...DEFAULT_ROLES.keys()];

let fixture: ServiceFixture;
let imaging: ImagingPool;
let app: Hono;
let records: readonly RouteRecord[];
let uploadDir: string;

beforeAll(async () => {
  fixture = await openServiceFixture();
  uploadDir = await mkdtemp(join(tmpdir(), 'strata-route-uploads-'));
  const area = new UploadArea({ directory: uploadDir, expirySeconds: 60, log: fixture.log });
  await area.open();
  imaging = new ImagingPool({ concurrency: 1, maxQueue: 1 });
  const services = createServices({
    db: fixture.db,
    store: fixture.store,
    stores: fixture.stores,
    log: fixture.log,
    storeOptions: STORE_OPTIONS,
    imaging,
    audit: { record: () => Promise.resolve() },
  });
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
  ({
    app,
    table: { records },
  } = createAppWithTable(services, {
    dicomwebRoot: '/dicom-web',
    publicBaseUrl: undefined,
    corsOrigins: [],
    maxParts: 10,
    idleTimeoutSeconds: 0,
    maxUploads: 0,
    maxUploadsPerClient: 0,
    authenticator,
    // Every optional route is on, so the walk covers them too.
    auditSearch: new AuditSearch(fixture.db, new Pseudonyms(randomBytes(32))),
    tokenEndpoint: {
      accounts: {
        signIn: () => Promise.reject(new InvalidGrantError()),
        refresh: () => Promise.reject(new InvalidGrantError()),
      },
      loginLimiter: new RateLimiter({ limit: 0, windowMs: 60_000 }),
    },
    uploads: { area, maxBytes: 1 << 20 },
    metrics: {
      scrape: () => Promise.resolve({ contentType: 'text/plain', body: '' }),
      public: false,
    },
    apiKeys: {
      list: () => Promise.resolve([]),
      create: () => Promise.reject(new InvalidAuthRequestError('test')),
      revoke: () => Promise.resolve([]),
    },
    accounts: {
      list: () => Promise.resolve([]),
      add: () => Promise.reject(new InvalidAuthRequestError('test')),
      disable: () => Promise.reject(new InvalidAuthRequestError('test')),
      enable: () => Promise.reject(new InvalidAuthRequestError('test')),
    },
    console: loadConsoleAssets({ dicomwebRoot: '/dicom-web', methods: [] }),
    log: fixture.log,
  }));
});
afterAll(async () => {
  await imaging?.close();
  await fixture?.close();
  if (uploadDir) await rm(uploadDir, { recursive: true, force: true });
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

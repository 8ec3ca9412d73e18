import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Hono } from 'hono';
import { Pseudonyms } from '../../src/audit/pseudonym.js';
import { AuditSearch } from '../../src/audit/search.js';
import type { Authenticator } from '../../src/auth/authenticate.js';
import { InvalidAuthRequestError, InvalidGrantError } from '../../src/auth/errors.js';
import { RateLimiter } from '../../src/auth/rate-limiter.js';
import { loadConsoleAssets } from '../../src/console/assets.js';
import { ImagingPool } from '../../src/imaging/imaging-pool.js';
import { createServices } from '../../src/services/services.js';
import {
  openServiceFixture,
  STORE_OPTIONS,
  type ServiceFixture,
} from '../../src/services/testing/service-fixture.js';
import type { RouteRecord } from '../../src/web/access.js';
import { createAppWithTable } from '../../src/web/app.js';
import { UploadArea } from '../../src/web/uploads/upload-area.js';

export interface FullApp {
  app: Hono;
  records: readonly RouteRecord[];
  fixture: ServiceFixture;
  close(): Promise<void>;
}

/**
 * The app with EVERY optional route on (audit search, token endpoint, uploads, metrics, API
 * keys, accounts, console), over a service fixture, for the tests that walk all routes: the
 * route table's access checks and the OpenAPI document. A route added behind a new option
 * belongs here too, or those walks miss it.
 */
export async function openFullApp(
  authenticator: Authenticator,
  dicomwebRoot = '/dicom-web',
): Promise<FullApp> {
  const fixture = await openServiceFixture();
  const uploadDir = await mkdtemp(join(tmpdir(), 'strata-full-app-uploads-'));
  const area = new UploadArea({ directory: uploadDir, expirySeconds: 60, log: fixture.log });
  await area.open();
  const imaging = new ImagingPool({ concurrency: 1, maxQueue: 1 });
  const services = createServices({
    db: fixture.db,
    store: fixture.store,
    stores: fixture.stores,
    log: fixture.log,
    storeOptions: STORE_OPTIONS,
    imaging,
    audit: { record: () => Promise.resolve() },
  });
  const { app, table } = createAppWithTable(services, {
    dicomwebRoot,
    publicBaseUrl: undefined,
    corsOrigins: [],
    maxParts: 10,
    idleTimeoutSeconds: 0,
    maxUploads: 0,
    maxUploadsPerClient: 0,
    authenticator,
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
    console: loadConsoleAssets({ dicomwebRoot, methods: [] }),
    log: fixture.log,
  });
  return {
    app,
    records: table.records,
    fixture,
    close: async () => {
      await imaging.close();
      await fixture.close();
      await rm(uploadDir, { recursive: true, force: true });
    },
  };
}

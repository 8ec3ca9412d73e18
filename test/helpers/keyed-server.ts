/**
 * A test-only composition of the real server whose API keys come from a fixed table: the real
 * index, stores, services, web app and Authenticator, with an in-memory ApiKeyVerifier in
 * place of the api_keys table (which this composition does not wire). Lets tests drive
 * principals with a patient context through HTTP until key issuance lands in compose-auth.ts.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAdaptorServer } from '@hono/node-server';
import type { AuditSink } from '../../src/audit/event.js';
import { Authenticator } from '../../src/auth/authenticate.js';
import { InvalidTokenError } from '../../src/auth/errors.js';
import { actionsOf, DEFAULT_ROLES } from '../../src/auth/roles.js';
import { openStrata } from '../../src/compose.js';
import { loadConfig } from '../../src/config/config.js';
import { createApp } from '../../src/web/app.js';
import { freshDatabase } from './server.js';

export interface TestKey {
  /** The key's name: the principal's id. */
  name: string;
  roles: string[];
  patientIds?: string[];
}

export interface KeyedServer {
  /** `${url}/dicom-web` */
  base: string;
  close(): Promise<void>;
}

/** Starts the server on 127.0.0.1 with no anonymous access; `keys` maps `strata_…` tokens. */
export async function startKeyedServer(
  keys: Record<string, TestKey>,
  overrides: { audit?: AuditSink } = {},
): Promise<KeyedServer> {
  const dataDir = await mkdtemp(join(tmpdir(), 'strata-keyed-'));
  const database = await freshDatabase();
  const config = loadConfig({
    HOST: '127.0.0.1',
    PORT: '0',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    SWEEP_INTERVAL_SECONDS: '0',
    ...(database.url ? { DATABASE_URL: database.url } : {}),
  });
  const strata = await openStrata(config, overrides);
  const authenticator = new Authenticator({
    apiKeys: {
      verify: (token) => {
        const key = keys[token];
        if (!key) return Promise.reject(new InvalidTokenError('unknown-key'));
        return Promise.resolve({
          method: 'api-key',
          id: key.name,
          roles: key.roles,
          actions: actionsOf(key.roles, DEFAULT_ROLES),
          patientIds: key.patientIds,
        });
      },
    },
    claims: { rolesClaim: 'roles', patientClaim: 'patient', roleMap: DEFAULT_ROLES },
    anonymous: new Set(),
  });
  const app = createApp(strata.services, {
    dicomwebRoot: config.dicomwebRoot,
    publicBaseUrl: undefined,
    corsOrigins: [],
    maxParts: config.stow.maxParts,
    idleTimeoutSeconds: 0,
    maxUploads: 0,
    maxUploadsPerClient: 0,
    authenticator,
    log: strata.log,
  });
  const server = createAdaptorServer({ fetch: app.fetch, hostname: '127.0.0.1' }) as Server;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}${config.dicomwebRoot}`,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await strata.close();
      await database.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { startStrata, type ComposeOverrides, type Strata } from '../../src/compose.js';
import { loadConfig } from '../../src/config/config.js';
import { findInstance } from '../../src/index/current-instance.repository.js';

/** Which database this vitest project runs against (see vitest.config.ts). */
export const testDb = process.env['STRATA_TEST_DB'] === 'postgres' ? 'postgres' : 'pglite';

export interface TestServer extends Strata {
  /** `${url}/dicom-web` */
  base: string;
  dataDir: string;
  env: Record<string, string>;
}

/**
 * A fresh database for one test file: a new PostgreSQL database on TEST_DATABASE_URL's server,
 * or nothing for PGlite (it lives in the data dir). Returns its URL (or undefined) and a drop.
 */
export async function freshDatabase(): Promise<{ url: string | undefined; drop(): Promise<void> }> {
  if (testDb !== 'postgres') return { url: undefined, drop: async () => {} };
  const adminUrl = process.env['TEST_DATABASE_URL'];
  if (!adminUrl) throw new Error('STRATA_TEST_DB=postgres needs TEST_DATABASE_URL');
  const name = `strata_test_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const again = postgres(adminUrl, { max: 1, onnotice: () => {} });
      await again.unsafe(`drop database if exists ${name} with (force)`);
      await again.end();
    },
  };
}

/** Starts the real server on a random port with its own data dir and database. */
export async function startTestServer(
  env: Record<string, string> = {},
  overrides: ComposeOverrides = {},
): Promise<TestServer> {
  const dataDir = await mkdtemp(join(tmpdir(), 'strata-test-'));
  const database = await freshDatabase();
  const fullEnv: Record<string, string> = {
    HOST: '127.0.0.1',
    PORT: '0',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    SWEEP_INTERVAL_SECONDS: '0',
    ...(database.url ? { DATABASE_URL: database.url } : {}),
    ...env,
  };
  const strata = await startStrata(loadConfig(fullEnv), overrides);
  return {
    ...strata,
    base: `${strata.url}/dicom-web`,
    dataDir,
    env: fullEnv,
    close: async () => {
      await strata.close();
      await database.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** The whole blob under `key`, from the server's own store. */
export async function readBlob(server: Pick<TestServer, 'store'>, key: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of await server.store.get(key)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The stored bytes of the current version of an instance, or undefined when not indexed. */
export async function storedBytes(
  server: Pick<TestServer, 'store' | 'database'>,
  sopInstanceUid: string,
): Promise<Buffer | undefined> {
  const row = await findInstance(server.database.db, sopInstanceUid);
  return row ? readBlob(server, row.blobKey) : undefined;
}

/** How many blobs the store holds. */
export async function blobCount(server: Pick<TestServer, 'store'>): Promise<number> {
  let n = 0;
  for await (const key of server.store.list()) if (key) n++;
  return n;
}

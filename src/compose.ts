import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import { assertTiersConfigured, openStores } from './compose-storage.js';
import type { Config } from './config.js';
import { ImagingPool } from './imaging/imaging-pool.js';
import { openDb, type Database } from './index/db.js';
import { migrateDb } from './index/migrate.js';
import type { Clock } from './lib/clock.js';
import { createLogger, type Logger } from './lib/log.js';
import { createServices, type Services } from './services/services.js';
import type { BlobStore } from './storage/blob-store.js';
import { createApp } from './web/app.js';

/**
 * The composition root: config → database → blob store → services → web app. The only module
 * that reads Config and the only one that imports every layer. Owns start and stop.
 */
export interface Strata {
  services: Services;
  database: Database;
  /** The landing tier (first of `stores`). */
  store: BlobStore;
  /** Every tier by name. */
  stores: ReadonlyMap<string, BlobStore>;
  log: Logger;
  /** Where the server listens (after `listen`). */
  url: string;
  close(): Promise<void>;
}

export interface ComposeOverrides {
  /** Where log lines go (tests capture them); default: JSON lines on stderr. */
  log?: Logger;
  /** Time for HSM policies and leases (tests pass a FakeClock). */
  clock?: Clock;
}

function openIndex(config: Config): Promise<Database> {
  return openDb({
    url: config.databaseUrl,
    pgliteDir: join(config.dataDir, 'index'),
    maxConnections: config.databasePoolSize,
  });
}

/** Applies pending index migrations (`strata migrate`); returns the driver used. */
export async function migrateIndex(config: Config): Promise<Database['driver']> {
  const database = await openIndex(config);
  try {
    await migrateDb(database);
    return database.driver;
  } finally {
    await database.close();
  }
}

export async function openStrata(
  config: Config,
  overrides: ComposeOverrides = {},
): Promise<Omit<Strata, 'url'>> {
  const log = overrides.log ?? createLogger(config.logLevel);
  const database = await openIndex(config);
  try {
    await migrateDb(database);
    // Temp files younger than the pending grace may be another process's upload in flight.
    await assertTiersConfigured(database.db, config.storage);
    const stores = await openStores(config.storage, {
      tempSweepGraceMs: config.sweeper.pendingGraceSeconds * 1000,
    });
    const store = stores.values().next().value!;
    const imaging = new ImagingPool({
      concurrency: config.render.concurrency,
      maxQueue: config.render.queueMax,
    });
    const services = createServices({
      db: database.db,
      store,
      stores,
      log,
      storeOptions: {
        maxInstanceBytes: config.stow.maxInstanceBytes,
        maxHeaderBytes: config.stow.maxHeaderBytes,
        duplicatePolicy: config.stow.duplicatePolicy,
        pendingGraceSeconds: config.sweeper.pendingGraceSeconds,
        deleteGraceSeconds: config.sweeper.deleteGraceSeconds,
      },
      fault: faultHook(process.env['STRATA_TEST_CRASH_AT']),
      migrationFault: faultHook(process.env['STRATA_TEST_CRASH_AT']),
      hsm: config.hsm,
      clock: overrides.clock,
      searchOptions: config.qido,
      imaging,
    });
    return {
      services,
      database,
      store,
      stores,
      log,
      close: async () => {
        await services.hsm.stop();
        await services.sweeper.stop();
        await imaging.close();
        await Promise.all([...stores.values()].map((s) => s.close()));
        await database.close();
      },
    };
  } catch (error) {
    await database.close();
    throw error;
  }
}

/** Starts the HTTP server and the sweeper; resolves once listening. */
export async function startStrata(
  config: Config,
  overrides: ComposeOverrides = {},
): Promise<Strata> {
  const strata = await openStrata(config, overrides);
  const app = createApp(strata.services, {
    dicomwebRoot: config.dicomwebRoot,
    publicBaseUrl: config.publicBaseUrl,
    trustProxyHeaders: config.trustProxyHeaders,
    corsOrigins: config.corsOrigins,
    maxParts: config.stow.maxParts,
    adminToken: config.adminToken,
    log: strata.log,
  });
  const server = await new Promise<ServerType>((resolve, reject) => {
    const s = serve(
      {
        fetch: app.fetch,
        hostname: config.host,
        port: config.port,
        serverOptions: { requestTimeout: config.requestTimeoutSeconds * 1000 },
      },
      () => resolve(s),
    );
    s.once('error', reject);
  });
  // A sweep at start-up reconciles what an earlier crash left behind.
  void strata.services.sweeper.sweep().then(
    (report) => strata.log.info('start-up sweep finished', { ...report }),
    (error: unknown) => strata.log.error('start-up sweep failed', { error }),
  );
  strata.services.sweeper.start(config.sweeper.intervalSeconds);
  strata.services.hsm.start();
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  strata.log.info('listening', { url, dicomweb: url + config.dicomwebRoot });
  return {
    ...strata,
    url,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await strata.close();
    },
  };
}

/**
 * STRATA_TEST_CRASH_AT names a write-path point where the process dies at once (SIGKILL: no
 * cleanup, like a power cut). Only the durability tests set it.
 */
function faultHook(point: string | undefined): ((p: string) => void) | undefined {
  if (!point) return undefined;
  return (reached) => {
    if (reached === point) process.kill(process.pid, 'SIGKILL');
  };
}

import type { Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createAdaptorServer } from '@hono/node-server';
import type { Hono } from 'hono';
import type { AuditExporter } from './audit/exporter.js';
import { openAuditExport } from './compose-audit-export.js';
import { dimseOptions, startDimse } from './compose-dimse.js';
import type { DimseServer } from './dimse/server.js';
import { openAudit, type AuditParts } from './compose-audit.js';
import { openObservability, type Observability } from './compose-observability.js';
import { anonymousActions, openSecurity, type SecurityParts } from './compose-auth.js';
import { assertTiersConfigured, openStores } from './compose-storage.js';
import { readTlsFiles, type TlsFiles } from './compose-tls.js';
import type { Config } from './config/config.js';
import { ConfigError } from './config/errors.js';
import type { AuditEvent, AuditSink } from './audit/event.js';
import { WebhookDispatcher } from './events/webhook-dispatcher.js';
import { ImagingPool } from './imaging/imaging-pool.js';
import { openDb, type Database } from './index/db.js';
import { IndexRefusedError, type IndexAbortedError } from './index/errors.js';
import { MIN_FREE_BYTES } from './index/pglite-open.js';
import { migrateDb } from './index/migrate.js';
import { waitForIndex } from './index/wait-for-index.js';
import { AddressList } from './lib/address-list.js';
import type { Clock } from './lib/clock.js';
import { createLogger, type Logger } from './lib/log.js';
import { createServices, type Services } from './services/services.js';
import type { BlobStore } from './storage/blob-store.js';
import { observeStores } from './storage/observed-blob-store.js';
import type { QueryObserver } from './index/guard.js';
import { createApp } from './web/app.js';
import { UploadArea } from './web/uploads/upload-area.js';
import { consoleAssetsOf } from './compose-console.js';
import { limitConnections } from './web/connection-limits.js';
import { expensiveGate } from './web/rate-limit.js';

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
  /**
   * Embedded PGlite only: its data directory, and the free space below which a failure there is
   * put down to a full disk (cli/index-stall-watchdog.ts watches it while serving).
   */
  indexDisk: { dataDir: string; minFreeBytes: number } | undefined;
  /** Where the server listens (after `listen`). */
  url: string;
  /** Authentication; present once serving. */
  security: SecurityParts;
  /** The ATNA export (AUDIT_SYSLOG_URL), running while serving; `nudge()` after an append. */
  auditExport?: AuditExporter | undefined;
  /** The audit trail every service records to, and its search (`GET /admin/audit`). */
  audit: AuditParts;
  /** Metrics (`GET /metrics`) and, when on, tracing. */
  observability: Observability;
  /** The DIMSE listener (README "DIMSE"), when DIMSE_PORT is set. */
  dimse?: { port: number; aeTitle: string } | undefined;
  close(): Promise<void>;
}

export interface ComposeOverrides {
  /** Where log lines go (tests capture them); default: JSON lines on stderr. */
  log?: Logger;
  /** Time for HSM policies and leases (tests pass a FakeClock). */
  clock?: Clock;
  /** The command line (`strata serve`), recorded in the PGlite directory lock. */
  command?: string;
  /**
   * Called at each named write-path and migration point. Only the crash tests pass one (through
   * test/helpers/crash-entry.ts, which kills the process at a chosen point); the production
   * entry never does, so no environment variable can make a server crash itself.
   */
  fault?: (point: string) => void;
  /**
   * The embedded index aborted (index/errors.ts IndexAbortedError): the process cannot go on.
   * `strata serve` passes one that writes the fatal line and exits.
   */
  onIndexAborted?: (error: IndexAbortedError) => void;
  /** Where audit events go instead of the trail (tests pass a recording sink). */
  audit?: AuditSink;
}

function openIndex(
  config: Config,
  queryTimeoutMs: number,
  command: string | undefined,
  onAborted?: (error: IndexAbortedError) => void,
  observer?: QueryObserver,
): Promise<Database> {
  return openDb({
    url: config.databaseUrl,
    pgliteDir: join(config.dataDir, 'index'),
    maxConnections: config.databasePoolSize,
    preparedStatements: config.databasePreparedStatements,
    queryTimeoutMs,
    command,
    ...(onAborted ? { onAborted } : {}),
    observer,
  });
}

/**
 * Applies pending index migrations (`strata migrate`); returns the driver used. Waits for a
 * database that is not up yet (DATABASE_CONNECT_RETRY_SECONDS). No query timeout: a schema
 * change on a large index, or waiting for another server's migration lock, may take long.
 */
export async function migrateIndex(
  config: Config,
  { log = createLogger(config.logLevel), command }: { log?: Logger; command?: string } = {},
): Promise<Database['driver']> {
  const database = await openIndex(config, 0, command);
  try {
    await waitUntilReachable(database, config, log);
    await migrateDb(database);
    return database.driver;
  } finally {
    await database.close();
  }
}

/**
 * The migrated index the server uses. PostgreSQL: waits until it answers, migrates on a
 * short-lived pool without timeouts, then serves from a pool with DATABASE_QUERY_TIMEOUT_MS.
 * PGlite (in-process, nothing to wait for or stall) migrates in place, since opening it twice
 * would slow every start. Commands that need only the index (`strata keys`) open it alone.
 */
export async function openMigratedIndex(
  config: Config,
  log: Logger,
  command: string | undefined,
  onAborted: ((error: IndexAbortedError) => void) | undefined,
  observer?: QueryObserver,
): Promise<Database> {
  const timeoutMs = config.databaseUrl ? config.database.queryTimeoutMs : 0;
  const database = await openIndex(config, timeoutMs, command, onAborted, observer);
  try {
    if (config.databaseUrl) {
      await waitUntilReachable(database, config, log);
      await migrateIndex(config, { log });
    } else {
      await migrateDb(database);
    }
    return database;
  } catch (error) {
    await database.close();
    throw error;
  }
}

/** Start-up retry for PostgreSQL; a refusal waiting cannot fix is a configuration error. */
async function waitUntilReachable(database: Database, config: Config, log: Logger) {
  if (database.driver !== 'postgres') return;
  try {
    await waitForIndex(database.db, {
      retryForMs: config.database.connectRetrySeconds * 1000,
      log,
    });
  } catch (error) {
    if (error instanceof IndexRefusedError) throw new ConfigError('DATABASE_URL', error.message);
    throw error;
  }
}

export async function openStrata(
  config: Config,
  overrides: ComposeOverrides = {},
): Promise<Omit<Strata, 'url' | 'security'>> {
  const log = overrides.log ?? createLogger(config.logLevel);
  const observability = await openObservability(config);
  let database: Database;
  try {
    database = await openMigratedIndex(
      config,
      log,
      overrides.command,
      overrides.onIndexAborted,
      observability.index,
    );
  } catch (error) {
    await observability.close();
    throw error;
  }
  try {
    // Temp files younger than the pending grace may be another process's upload in flight.
    await assertTiersConfigured(database.db, config.storage);
    const stores = observeStores(
      await openStores(config.storage, {
        tempSweepGraceMs: config.sweeper.pendingGraceSeconds * 1000,
      }),
      observability.storage,
    );
    const store = stores.values().next().value!;
    const audit = await openAudit(config, database.db, log, overrides.clock);
    const imaging = new ImagingPool({
      concurrency: config.render.concurrency,
      maxQueue: config.render.queueMax,
    });
    observability.metrics.watchRenderPool(imaging, config.render.concurrency);
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
      fault: overrides.fault,
      migrationFault: overrides.fault,
      hsm: config.hsm,
      clock: overrides.clock,
      searchOptions: config.qido,
      imaging,
      frameCacheBytes: config.render.frameCacheBytes,
      // Tests may record to a sink of their own (ComposeOverrides.audit).
      audit: overrides.audit ?? audit.trail,
      observer: observability.metrics.services,
      events: {
        pollMs: config.events.pollMs,
        heartbeatMs: config.events.heartbeatSeconds * 1000,
      },
    });
    return {
      services,
      database,
      observability,
      store,
      stores,
      log,
      audit,
      indexDisk:
        database.driver === 'pglite'
          ? { dataDir: join(config.dataDir, 'index'), minFreeBytes: MIN_FREE_BYTES }
          : undefined,
      close: async () => {
        services.changes.events.close();
        services.changes.signal.stop();
        await services.maintenance.hsm.stop();
        await services.maintenance.sweeper.stop();
        await imaging.close();
        // Waits for the records still queued, then refuses more.
        await audit.trail.close();
        await Promise.all([...stores.values()].map((s) => s.close()));
        await database.close();
        await observability.close();
      },
    };
  } catch (error) {
    await database.close();
    await observability.close();
    throw error;
  }
}

/** Starts the HTTP server and the sweeper; resolves once listening. */
export async function startStrata(
  config: Config,
  overrides: ComposeOverrides = {},
): Promise<Strata> {
  // Settings that refuse to start are checked before the index is opened.
  anonymousActions(config);
  const tls = readTlsFiles(config);
  const dimse = dimseOptions(config);
  const strata = await openStrata(config, overrides);
  let security: SecurityParts;
  let auditExport: AuditExporter | undefined;
  try {
    security = openSecurity(config, strata.database, strata.log);
    auditExport = await openAuditExport(config, strata.database, strata.log);
    // Records go out as soon as they are committed, not at the next poll.
    const exporter = auditExport;
    if (exporter) strata.audit.trail.whenAppended(() => exporter.nudge());
  } catch (error) {
    await strata.close();
    throw error;
  }
  // Resumable uploads wait on this node's disk (README "Resumable uploads", "Several nodes").
  const uploadArea = new UploadArea({
    directory: join(config.dataDir, 'uploads'),
    expirySeconds: config.uploads.expirySeconds,
    log: strata.log,
  });
  try {
    await uploadArea.open();
  } catch (error) {
    await security.close();
    await strata.close();
    throw error;
  }
  const app = createApp(strata.services, {
    dicomwebRoot: config.dicomwebRoot,
    publicBaseUrl: config.publicBaseUrl,
    trustedProxies: AddressList.parse(config.trustedProxies) as AddressList, // checked by config
    corsOrigins: config.corsOrigins,
    hsts: tls !== undefined && config.tls.hsts,
    maxParts: config.stow.maxParts,
    idleTimeoutSeconds: config.http.idleTimeoutSeconds,
    maxUploads: config.stow.maxConcurrentUploads,
    maxUploadsPerClient: config.stow.maxConcurrentUploadsPerClient,
    authenticator: security.authenticator,
    audit: strata.audit.trail,
    auditSearch: strata.audit.search,
    expensiveGate: expensiveGate({
      perMinute: config.auth.expensiveRatePerMinute,
      clock: overrides.clock,
    }),
    tokenEndpoint: security.tokenEndpoint,
    uploads: { area: uploadArea, maxBytes: config.uploads.maxBytes },
    requestObservers: strata.observability.requests,
    metrics: strata.observability.route,
    apiKeys: security.apiKeys,
    accounts: security.accounts,
    console: consoleAssetsOf(config),
    log: strata.log,
  });
  const webhooks = new WebhookDispatcher({
    database: strata.database,
    feed: strata.services.changes.feed,
    signal: strata.services.changes.signal,
    log: strata.log,
    timeoutMs: config.events.webhookTimeoutSeconds * 1000,
    minBackoffMs: config.events.webhookBackoffMinMs,
    maxBackoffMs: config.events.webhookBackoffMaxSeconds * 1000,
    idleMs: 30_000,
  });
  const server = listener(app.fetch, config, tls);
  limitConnections(server, config.http);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  // DIMSE before any background work starts: a port it cannot take fails the start cleanly.
  let dimseServer: DimseServer | undefined;
  try {
    if (dimse) {
      dimseServer = await startDimse(dimse, {
        services: strata.services,
        audit: overrides.audit ?? strata.audit.trail,
        log: strata.log,
        observer: strata.observability.metrics.dimse,
        subOperations: {
          timeoutMs: config.dimseScu.timeoutSeconds * 1000,
          batchBytes: config.dimseScu.batchBytes,
        },
      });
    }
  } catch (error) {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await strata.close();
    throw error;
  }
  // A sweep at start-up reconciles what an earlier crash left behind.
  void strata.services.maintenance.sweeper.sweep().then(
    (report) => strata.log.info('start-up sweep finished', { ...report }),
    (error: unknown) => strata.log.error('start-up sweep failed', { error }),
  );
  strata.services.maintenance.sweeper.start(config.sweeper.intervalSeconds);
  strata.services.maintenance.hsm.start();
  auditExport?.start();
  webhooks.start();
  strata.audit.trail.startRetention();
  uploadArea.start();
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `${tls ? 'https' : 'http'}://${host}:${address.port}`;
  strata.log.info('listening', { url, dicomweb: url + config.dicomwebRoot });
  // PS3.15 A.5.3.1 Application Activity. A start that cannot be recorded is no start.
  try {
    await strata.audit.trail.record(applicationActivity('application-start', url));
  } catch (error) {
    await dimseServer?.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await strata.close();
    throw error;
  }
  return {
    ...strata,
    url,
    security,
    auditExport,
    dimse: dimseServer && dimse ? { port: dimseServer.port, aeTitle: dimse.aeTitle } : undefined,
    close: async () => {
      // Event streams never end by themselves: end them, or the server would wait for them.
      strata.services.changes.events.close();
      await webhooks.stop();
      await dimseServer?.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await uploadArea.stop();
      // Requests are done; the stop is the trail's last record (the index may be gone: then
      // the stop goes unrecorded rather than the process hanging).
      await strata.audit.trail
        .record(applicationActivity('application-stop', url))
        .catch((error: unknown) => strata.log.error('application stop not audited', { error }));
      await auditExport?.stop();
      await security.close();
      await strata.close();
    },
  };
}

function applicationActivity(
  subtype: 'application-start' | 'application-stop',
  url: string,
): AuditEvent {
  return { type: 'application-activity', subtype, action: 'E', outcome: 0, detail: { url } };
}

/** The HTTP listener, or HTTPS (TLS 1.2 and up) with TLS_CERT_FILE and TLS_KEY_FILE. */
function listener(fetch: Hono['fetch'], config: Config, tls: TlsFiles | undefined): Server {
  const requestTimeout = config.requestTimeoutSeconds * 1000;
  if (tls === undefined) {
    return createAdaptorServer({
      fetch,
      hostname: config.host,
      serverOptions: { requestTimeout },
    }) as Server;
  }
  // An https.Server is a net.Server underneath ('connection' gives the raw socket, before the
  // handshake), which is all limitConnections and close() need.
  return createAdaptorServer({
    fetch,
    hostname: config.host,
    createServer: createHttpsServer,
    serverOptions: { cert: tls.cert, key: tls.key, minVersion: 'TLSv1.2', requestTimeout },
  }) as unknown as Server;
}

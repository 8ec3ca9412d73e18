import { PGlite } from '@electric-sql/pglite';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import { IndexDiskFullError, type IndexAbortedError } from './errors.js';
import { isNoSpace, openPglite } from './pglite-open.js';
import { guardQueries, type QueryObserver } from './guard.js';
import { watchedSockets } from './socket-watchdog.js';
import { PreparedStatements, preparing } from './prepared-statements.js';
import { lockDirectory } from '../lib/dir-lock.js';
import * as schema from './schema.js';

export type Schema = typeof schema;
/** The one database type the rest of the code sees, whichever driver is behind it. */
export type Db = PgDatabase<PgQueryResultHKT, Schema>;
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

export interface OpenDbOptions {
  /** postgres:// URL → postgres.js against that server. */
  url?: string | undefined;
  /** Without `url`: PGlite data directory; `undefined` → in memory (tests). */
  pgliteDir?: string | undefined;
  /** postgres.js pool size. */
  maxConnections?: number;
  /** PostgreSQL only: most distinct statements run prepared (prepared-statements.ts); 0 = none. */
  preparedStatements?: number;
  /**
   * PostgreSQL only: longest wait for the database to answer one statement (and to accept a
   * connection); 0 or unset = no limit (migrations: a schema change may take long).
   */
  queryTimeoutMs?: number;
  /** What this process runs (`strata serve`), named to a second process refused the PGlite lock. */
  command?: string;
  /** Embedded PGlite only: told when a statement met an abort of the database (guard.ts). */
  onAborted?: (error: IndexAbortedError) => void;
  /** Told of every statement and transaction (metrics/: queries in flight; tracing: spans). */
  observer?: QueryObserver | undefined;
}

/** The default of DATABASE_PREPARED_STATEMENTS (config/server-settings.ts). */
const DEFAULT_PREPARED_STATEMENTS = 256;

/**
 * How much longer than the server's statement_timeout the client waits before it gives up on
 * the connection: a slow query on a healthy server is cancelled by the server first (SQLSTATE
 * 57014, the backend stops working), and only a silent server or network meets the watchdog.
 */
const CLIENT_GRACE_MS = 1000;

export interface Database {
  db: Db;
  driver: 'postgres' | 'pglite';
  close(): Promise<void>;
  /** Driver-specific handles the migrator needs. */
  readonly raw: { driver: 'postgres'; client: postgres.Sql } | { driver: 'pglite'; client: PGlite };
}

/** postgres.js options that bound every statement and connection attempt by `timeoutMs`. */
function timeoutOptions(timeoutMs: number): postgres.Options<Record<string, never>> {
  if (timeoutMs <= 0) return {};
  const options: postgres.Options<Record<string, never>> = {
    // Server side: cancels a statement that runs too long (it never sees a stalled network).
    connection: { statement_timeout: timeoutMs },
    // Client side: TCP connect, TLS and authentication (seconds; fractions allowed).
    connect_timeout: timeoutMs / 1000,
  };
  // Client side: an established connection that stops answering (socket-watchdog.ts). The
  // `socket` option is in postgres.js's README ("Custom socket") but not in its types.
  return Object.assign(options, { socket: watchedSockets(timeoutMs + CLIENT_GRACE_MS) });
}

/** Opens the index: postgres.js when a URL is given, else embedded PGlite (on disk or in memory). */
export async function openDb(options: OpenDbOptions): Promise<Database> {
  if (options.url) {
    const timeouts = timeoutOptions(options.queryTimeoutMs ?? 0);
    const client = postgres(options.url, {
      max: options.maxConnections ?? 10,
      // Migrations print NOTICEs ("relation already exists, skipping"): not for our logs.
      onnotice: () => {},
      // Delay before a closed connection reconnects, in seconds. postgres.js grows it to 20 s
      // after repeated failures, and every query waiting for that connection waits too: during
      // an outage requests hung for seconds before answering 503. Capped at 1 s, each request
      // meets the outage at once; the 503's Retry-After spaces out the clients instead.
      backoff: (retries: number) => Math.min(0.05 * 2 ** retries, 1),
      ...timeouts,
      connection: {
        ...timeouts.connection,
        // Prepared statements save a round trip, never a plan: a generic plan, which PostgreSQL
        // may switch to after five runs, cannot use the prefix indexes for `like $1` (QIDO's
        // wildcards) or judge a value's selectivity. Every run is planned for its values.
        plan_cache_mode: 'force_custom_plan',
      },
    });
    const limit = options.preparedStatements ?? DEFAULT_PREPARED_STATEMENTS;
    const driverClient = limit > 0 ? preparing(client, new PreparedStatements(limit)) : client;
    const db = guardQueries(
      drizzlePostgres({ client: driverClient, schema }) as unknown as Db,
      undefined,
      options.observer,
    );
    return {
      db,
      driver: 'postgres',
      raw: { driver: 'postgres', client },
      close: () => client.end({ timeout: 5 }),
    };
  }
  if (!options.pgliteDir) {
    const client = new PGlite();
    await client.waitReady;
    return pglite(client, async () => {}, options.onAborted, options.observer);
  }
  // One process per PGlite directory (lib/dir-lock.ts says why); held until close. On a disk
  // filled to the last block the lock file is the first write to fail.
  const lock = await lockDirectory(options.pgliteDir, options.command ?? 'strata').catch(
    (error: unknown) => {
      throw isNoSpace(error) ? new IndexDiskFullError(options.pgliteDir!, { cause: error }) : error;
    },
  );
  try {
    return pglite(
      await openPglite(options.pgliteDir),
      () => lock.release(),
      options.onAborted,
      options.observer,
    );
  } catch (error) {
    await lock.release();
    throw error;
  }
}

function pglite(
  client: PGlite,
  release: () => Promise<void>,
  onAborted: OpenDbOptions['onAborted'],
  observer: QueryObserver | undefined,
): Database {
  const db = guardQueries(drizzlePglite({ client, schema }) as unknown as Db, onAborted, observer);
  return {
    db,
    driver: 'pglite',
    raw: { driver: 'pglite', client },
    close: async () => {
      try {
        await client.close();
      } finally {
        await release();
      }
    },
  };
}

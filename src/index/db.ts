import { mkdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
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
  /** What this process runs (`strata serve`), named to a second process refused the PGlite lock. */
  command?: string;
}

export interface Database {
  db: Db;
  driver: 'postgres' | 'pglite';
  close(): Promise<void>;
  /** Driver-specific handles the migrator needs. */
  readonly raw: { driver: 'postgres'; client: postgres.Sql } | { driver: 'pglite'; client: PGlite };
}

/** Opens the index: postgres.js when a URL is given, else embedded PGlite (on disk or in memory). */
export async function openDb(options: OpenDbOptions): Promise<Database> {
  if (options.url) {
    const client = postgres(options.url, {
      max: options.maxConnections ?? 10,
      // Migrations print NOTICEs ("relation already exists, skipping"): not for our logs.
      onnotice: () => {},
    });
    const db = drizzlePostgres({ client, schema }) as unknown as Db;
    return {
      db,
      driver: 'postgres',
      raw: { driver: 'postgres', client },
      close: () => client.end({ timeout: 5 }),
    };
  }
  if (!options.pgliteDir) return pglite(new PGlite(), async () => {});
  // One process per PGlite directory (lib/dir-lock.ts says why); held until close.
  const lock = await lockDirectory(options.pgliteDir, options.command ?? 'strata');
  try {
    await mkdir(options.pgliteDir, { recursive: true });
    return await pglite(new PGlite(options.pgliteDir), () => lock.release());
  } catch (error) {
    await lock.release();
    throw error;
  }
}

async function pglite(client: PGlite, release: () => Promise<void>): Promise<Database> {
  await client.waitReady;
  const db = drizzlePglite({ client, schema }) as unknown as Db;
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

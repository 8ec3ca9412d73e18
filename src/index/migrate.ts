import { fileURLToPath } from 'node:url';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePostgres } from 'drizzle-orm/postgres-js';
import { migrate as migratePostgres } from 'drizzle-orm/postgres-js/migrator';
import type { Database } from './db.js';

/** drizzle-kit output, generated from schema.ts (`npm run db:generate`). */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations', import.meta.url));

/**
 * Arbitrary constant for pg_advisory_lock: several server processes starting against one
 * PostgreSQL must not apply the same migration at once.
 */
const MIGRATION_LOCK_ID = 0x5354_5241; // 'STRA'

/** Applies pending migrations; the same SQL runs on PGlite and PostgreSQL. */
export async function migrateDb(database: Database): Promise<void> {
  const config = { migrationsFolder: MIGRATIONS_DIR };
  const raw = database.raw;
  if (raw.driver === 'pglite') {
    await migratePglite(drizzlePglite({ client: raw.client }), config);
    return;
  }
  // A dedicated connection holds the session-level advisory lock for the whole run.
  const reserved = await raw.client.reserve();
  try {
    await reserved`select pg_advisory_lock(${MIGRATION_LOCK_ID})`;
    await migratePostgres(drizzlePostgres({ client: raw.client }), config);
  } finally {
    await reserved`select pg_advisory_unlock(${MIGRATION_LOCK_ID})`;
    reserved.release();
  }
}

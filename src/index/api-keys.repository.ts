import { and, asc, eq, inArray, isNull, or } from 'drizzle-orm';
import type { Db } from './db.js';
import { apiKeys } from './schema.js';

/**
 * API keys (auth/api-keys.ts makes and checks them). A row holds the SHA-256 of the key, never
 * the key: reading this table does not let anyone act as a key's holder.
 */

export type ApiKeyRow = typeof apiKeys.$inferSelect;

export interface NewApiKey {
  id: string;
  name: string;
  role: string;
  secretHash: string;
  prefix: string;
  patientIds?: readonly string[] | undefined;
}

/**
 * Inserts a key; undefined when a live key already has this name (the partial unique index
 * `api_keys_live_name_uq`), so two concurrent creates of one name cannot both succeed.
 */
export async function insertApiKey(db: Db, key: NewApiKey): Promise<ApiKeyRow | undefined> {
  const [row] = await db
    .insert(apiKeys)
    .values({ ...key, patientIds: key.patientIds ? [...key.patientIds] : null })
    .onConflictDoNothing()
    .returning();
  return row;
}

/** The key whose secret hashes to `secretHash`, revoked or not (`api_keys_secret_hash_uq`). */
export async function findApiKeyByHash(db: Db, secretHash: string): Promise<ApiKeyRow | undefined> {
  const [row] = await db.select().from(apiKeys).where(eq(apiKeys.secretHash, secretHash)).limit(1);
  return row;
}

/** Every key, revoked ones included, oldest first. */
export function listApiKeys(db: Db): Promise<ApiKeyRow[]> {
  return db.select().from(apiKeys).orderBy(asc(apiKeys.createdAt), asc(apiKeys.id));
}

/**
 * Revokes the live key with this id or name (names are unique among live keys, so at most one
 * matches each way). Returns the keys revoked now; empty when none was live.
 */
export function revokeApiKey(db: Db, idOrName: string, at: Date): Promise<ApiKeyRow[]> {
  return db
    .update(apiKeys)
    .set({ revokedAt: at })
    .where(and(isNull(apiKeys.revokedAt), or(eq(apiKeys.id, idOrName), eq(apiKeys.name, idOrName))))
    .returning();
}

/** Records that these keys were used at `at` (one statement for a batch). */
export async function touchApiKeys(db: Db, ids: readonly string[], at: Date): Promise<void> {
  if (ids.length === 0) return;
  await db
    .update(apiKeys)
    .set({ lastUsedAt: at })
    .where(inArray(apiKeys.id, [...ids]));
}

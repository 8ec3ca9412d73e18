import { and, asc, eq, gt, isNull, lt, lte, or, sql } from 'drizzle-orm';
import type { Db } from './db.js';
import { accounts, refreshTokens, signingKeys } from './schema.js';

/**
 * Built-in accounts, their refresh tokens and the keys that sign their access tokens. Every
 * state that must hold across nodes (failed attempts, lockout, the last TOTP step, used refresh
 * tokens) changes in one conditional UPDATE, so two nodes racing cannot both win.
 */

export type AccountRow = typeof accounts.$inferSelect;

export async function insertAccount(
  db: Db,
  row: Pick<
    AccountRow,
    'id' | 'username' | 'passwordHash' | 'roles' | 'patientIds' | 'totpRequired' | 'totpSecret'
  > & { createdAt: Date },
): Promise<boolean> {
  const inserted = await db
    .insert(accounts)
    .values({ ...row, passwordChangedAt: row.createdAt })
    .onConflictDoNothing()
    .returning({ id: accounts.id });
  return inserted.length === 1;
}

export async function findAccountByUsername(
  db: Db,
  username: string,
): Promise<AccountRow | undefined> {
  const [row] = await db.select().from(accounts).where(eq(accounts.username, username));
  return row;
}

export async function findAccountById(db: Db, id: string): Promise<AccountRow | undefined> {
  const [row] = await db.select().from(accounts).where(eq(accounts.id, id));
  return row;
}

export async function listAccounts(db: Db): Promise<AccountRow[]> {
  return db.select().from(accounts).orderBy(asc(accounts.username));
}

/** What the access token check needs to know about an account (local-tokens.ts). */
export async function findAccountStatus(
  db: Db,
  username: string,
): Promise<{ disabledAt: Date | null; passwordChangedAt: Date | null } | undefined> {
  const [row] = await db
    .select({ disabledAt: accounts.disabledAt, passwordChangedAt: accounts.passwordChangedAt })
    .from(accounts)
    .where(eq(accounts.username, username));
  return row;
}

/** Sets a new password hash; `changedAt` undefined = a re-hash of the same password. */
export async function updatePasswordHash(
  db: Db,
  id: string,
  passwordHash: string,
  changedAt: Date | undefined,
): Promise<void> {
  await db
    .update(accounts)
    .set(changedAt ? { passwordHash, passwordChangedAt: changedAt } : { passwordHash })
    .where(eq(accounts.id, id));
}

export async function setAccountDisabled(db: Db, id: string, at: Date | null): Promise<void> {
  await db.update(accounts).set({ disabledAt: at }).where(eq(accounts.id, id));
}

/** A new TOTP secret; the memory of used steps restarts with it. */
export async function setTotpSecret(db: Db, id: string, secret: string): Promise<void> {
  await db
    .update(accounts)
    .set({ totpSecret: secret, totpLastStep: null })
    .where(eq(accounts.id, id));
}

/**
 * Counts a sign-in attempt before the password is checked, and returns the account (none for
 * an unknown name: the same statement runs either way, so both take the same time). Counting
 * first bounds a burst of parallel guesses, on any number of nodes, by `maxFailures`: the
 * attempt after that many in a row without a success locks the account until
 * `now + lockoutSeconds` (and starts the count again). A locked account's attempts change
 * nothing; the caller sees `lockedUntil` in the future and refuses.
 */
export async function countSignInAttempt(
  db: Db,
  username: string,
  now: Date,
  limits: { maxFailures: number; lockoutSeconds: number },
): Promise<AccountRow | undefined> {
  const at = sql`${now.toISOString()}::timestamptz`;
  const until = sql`${new Date(now.getTime() + limits.lockoutSeconds * 1000).toISOString()}::timestamptz`;
  const locked = sql`${accounts.lockedUntil} is not null and ${accounts.lockedUntil} > ${at}`;
  const locks = sql`${accounts.failedAttempts} + 1 > ${limits.maxFailures}`;
  // Every right-hand side reads the row as it was before this UPDATE.
  const [row] = await db
    .update(accounts)
    .set({
      failedAttempts: sql`case when ${locked} then ${accounts.failedAttempts} when ${locks} then 0 else ${accounts.failedAttempts} + 1 end`,
      lockedUntil: sql`case when ${locked} then ${accounts.lockedUntil} when ${locks} then ${until} else ${accounts.lockedUntil} end`,
    })
    .where(eq(accounts.username, username))
    .returning();
  return row;
}

/**
 * A sign-in succeeded: the attempt count restarts and, with a one-time code, its step is
 * claimed. False when that step (or a later one) was claimed first: a replayed code.
 */
export async function recordSignIn(
  db: Db,
  id: string,
  now: Date,
  totpStep: number | undefined,
): Promise<boolean> {
  const replayGuard =
    totpStep === undefined
      ? undefined
      : or(isNull(accounts.totpLastStep), lt(accounts.totpLastStep, totpStep));
  const rows = await db
    .update(accounts)
    .set({
      failedAttempts: 0,
      lockedUntil: null,
      lastLoginAt: now,
      ...(totpStep === undefined ? {} : { totpLastStep: totpStep }),
    })
    .where(and(eq(accounts.id, id), replayGuard))
    .returning({ id: accounts.id });
  return rows.length === 1;
}

// Refresh tokens

export async function insertRefreshToken(
  db: Db,
  row: { id: string; accountId: string; secretHash: string; expiresAt: Date; createdAt: Date },
): Promise<void> {
  await db.insert(refreshTokens).values(row);
  // Expired rows of this account are of no use any more, not even for reuse detection.
  await db
    .delete(refreshTokens)
    .where(
      and(eq(refreshTokens.accountId, row.accountId), lte(refreshTokens.expiresAt, row.createdAt)),
    );
}

export type RefreshUse =
  | { status: 'ok'; accountId: string; expiresAt: Date }
  /** Used before: a copy of it is in someone else's hands. */
  | { status: 'reused'; accountId: string }
  /** Unknown, expired, or revoked without being used (a session ended by the operator). */
  | { status: 'invalid' };

/**
 * Marks the refresh token with this hash used, once: of two requests with the same token, on
 * any nodes, exactly one gets `ok`.
 */
export async function useRefreshToken(db: Db, secretHash: string, now: Date): Promise<RefreshUse> {
  const [used] = await db
    .update(refreshTokens)
    .set({ usedAt: now })
    .where(
      and(
        eq(refreshTokens.secretHash, secretHash),
        isNull(refreshTokens.usedAt),
        isNull(refreshTokens.revokedAt),
        gt(refreshTokens.expiresAt, now),
      ),
    )
    .returning({ accountId: refreshTokens.accountId, expiresAt: refreshTokens.expiresAt });
  if (used) return { status: 'ok', ...used };
  const [row] = await db
    .select({ accountId: refreshTokens.accountId, usedAt: refreshTokens.usedAt })
    .from(refreshTokens)
    .where(eq(refreshTokens.secretHash, secretHash));
  if (row?.usedAt) return { status: 'reused', accountId: row.accountId };
  return { status: 'invalid' };
}

/** Revokes every live refresh token of the account (theft, password change, disable). */
export async function revokeRefreshTokens(db: Db, accountId: string, now: Date): Promise<void> {
  await db
    .update(refreshTokens)
    .set({ revokedAt: now })
    .where(and(eq(refreshTokens.accountId, accountId), isNull(refreshTokens.revokedAt)));
}

// Signing keys

export type SigningKeyRow = typeof signingKeys.$inferSelect;

/** Every key, newest first (the first signs). */
export async function listSigningKeys(db: Db): Promise<SigningKeyRow[]> {
  return db
    .select()
    .from(signingKeys)
    .orderBy(sql`${signingKeys.createdAt} desc`, sql`${signingKeys.kid} desc`);
}

export async function insertSigningKey(
  db: Db,
  row: Omit<SigningKeyRow, 'createdAt'> & { createdAt: Date },
): Promise<void> {
  await db.insert(signingKeys).values(row).onConflictDoNothing();
}

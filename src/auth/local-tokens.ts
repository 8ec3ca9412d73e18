import { createHash, randomBytes, randomUUID } from 'node:crypto';
import {
  errors,
  exportJWK,
  generateKeyPair,
  importJWK,
  jwtVerify,
  SignJWT,
  calculateJwkThumbprint,
  type CryptoKey,
  type JWK,
} from 'jose';
import type { Db } from '../index/db.js';
import {
  findAccountStatus,
  insertRefreshToken,
  insertSigningKey,
  listSigningKeys,
  revokeRefreshTokens,
  useRefreshToken,
} from '../index/accounts.repository.js';
import { systemClock, type Clock } from '../lib/clock.js';
import { createUlidFactory } from '../lib/ulid.js';
import type { LocalTokenVerifier } from './authenticate.js';
import { principalFromClaims } from './claims.js';
import { InvalidGrantError, InvalidTokenError } from './errors.js';
import type { Principal } from './principal.js';
import type { RoleMap } from './roles.js';

/**
 * Access and refresh tokens of built-in accounts (POST /auth/token). Access tokens are JWTs
 * (RFC 9068 profile: `typ: at+jwt`) signed with Ed25519 (RFC 8037 EdDSA): short-lived, checked
 * without the index except for a cached look at the account (disabled, password changed). The
 * key pair is made on first use and kept in the index (signing_keys), so every node signs and
 * verifies with the same keys. Refresh tokens are 256-bit random strings, stored as SHA-256
 * hashes, good for one use: each use returns a new one, and a second use of the same token
 * (someone else holds a copy) revokes every refresh token of the account.
 */

/** The `iss` of our tokens; authenticate.ts routes a bearer JWT with it here. */
export const LOCAL_ISSUER = 'strata:local';
/** RFC 9068 §2.1: the media type of JWT access tokens. */
const ACCESS_TOKEN_TYPE = 'at+jwt';
const ALGORITHM = 'EdDSA';
/** A token naming a key this node has not seen reloads the keys at most this often. */
const KEY_RELOAD_COOLDOWN_MS = 5_000;
const MAX_CACHED_ACCOUNTS = 10_000;
const REFRESH_TOKEN = /^[A-Za-z0-9_-]{43}$/;

export interface LocalTokensOptions {
  /** AUTH_TOKEN_TTL_SECONDS */
  ttlSeconds: number;
  /** AUTH_REFRESH_TTL_SECONDS: how long a session lasts from its sign-in. */
  refreshTtlSeconds: number;
  roleMap: RoleMap;
  /** AUTH_CLOCK_TOLERANCE_SECONDS */
  clockToleranceSeconds: number;
  /**
   * How long this node trusts what it last read of an account (disabled, password changed):
   * a disabled account's tokens stop working on other nodes within this time (at once on the
   * node that disabled it).
   */
  statusTtlMs?: number;
}

/** RFC 6749 §5.1, as the token route sends it. */
export interface TokenGrant {
  accessToken: string;
  tokenType: 'Bearer';
  /** Seconds. */
  expiresIn: number;
  refreshToken: string;
}

/** Whom a token is for. */
export interface TokenSubject {
  id: string;
  username: string;
  roles: readonly string[];
  /** Patient context; null = no restriction. */
  patientIds: readonly string[] | null;
}

interface AccountStatus {
  ok: boolean;
  /** Tokens issued before this second are no longer accepted (password changed). */
  notBeforeSeconds: number;
  readAt: number;
}

export class LocalTokens implements LocalTokenVerifier {
  readonly issuer = LOCAL_ISSUER;
  private readonly statusTtlMs: number;
  private readonly ulid = createUlidFactory();
  private signer: Promise<{ kid: string; key: CryptoKey }> | undefined;
  private readonly publicKeys = new Map<string, CryptoKey>();
  private lastKeyReload = Number.NEGATIVE_INFINITY;
  private readonly statuses = new Map<string, AccountStatus>();

  constructor(
    private readonly db: Db,
    private readonly options: LocalTokensOptions,
    private readonly clock: Clock = systemClock,
  ) {
    this.statusTtlMs = options.statusTtlMs ?? 5_000;
  }

  /** A new access token and a new refresh token; `sessionEnds` carries a rotated session's end. */
  async grant(subject: TokenSubject, sessionEnds?: Date): Promise<TokenGrant> {
    const now = this.clock.now();
    const { kid, key } = await this.signingKey();
    const issuedAt = Math.floor(now.getTime() / 1000);
    const claims: Record<string, unknown> = { roles: [...subject.roles] };
    if (subject.patientIds !== null) claims['patient'] = [...subject.patientIds];
    const accessToken = await new SignJWT(claims)
      .setProtectedHeader({ alg: ALGORITHM, kid, typ: ACCESS_TOKEN_TYPE })
      .setIssuer(LOCAL_ISSUER)
      .setSubject(subject.username)
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + this.options.ttlSeconds)
      .setJti(randomUUID())
      .sign(key);
    const refreshToken = randomBytes(32).toString('base64url');
    await insertRefreshToken(this.db, {
      id: this.ulid(),
      accountId: subject.id,
      secretHash: sha256(refreshToken),
      expiresAt: sessionEnds ?? new Date(now.getTime() + this.options.refreshTtlSeconds * 1000),
      createdAt: now,
    });
    return { accessToken, tokenType: 'Bearer', expiresIn: this.options.ttlSeconds, refreshToken };
  }

  /**
   * Spends a refresh token: the account it belongs to and when its session ends. A token used
   * before revokes all of the account's refresh tokens (RFC 9700 §4.14.2: rotation detects a
   * stolen copy, whichever of thief and owner comes second).
   */
  async redeem(refreshToken: string): Promise<{ accountId: string; sessionEnds: Date }> {
    if (!REFRESH_TOKEN.test(refreshToken)) {
      throw new InvalidGrantError('the refresh token is not valid');
    }
    const now = this.clock.now();
    const use = await useRefreshToken(this.db, sha256(refreshToken), now);
    switch (use.status) {
      case 'ok':
        return { accountId: use.accountId, sessionEnds: use.expiresAt };
      case 'reused':
        await revokeRefreshTokens(this.db, use.accountId, now);
        throw new InvalidGrantError(
          'the refresh token was already used, so a copy may be in other hands: every session of this account is signed out; sign in again',
        );
      case 'invalid':
        throw new InvalidGrantError('the refresh token is not valid or has expired; sign in again');
    }
  }

  /** Ends every session of the account (password change, disable). */
  async revokeSessions(accountId: string): Promise<void> {
    await revokeRefreshTokens(this.db, accountId, this.clock.now());
  }

  /** Forgets what this node read of an account, so a change made here applies at once. */
  forget(username: string): void {
    this.statuses.delete(username);
  }

  async verify(token: string): Promise<Principal> {
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(token, (header) => this.publicKey(header.kid), {
        issuer: LOCAL_ISSUER,
        algorithms: [ALGORITHM],
        typ: ACCESS_TOKEN_TYPE,
        currentDate: this.clock.now(),
        clockTolerance: this.options.clockToleranceSeconds,
        requiredClaims: ['sub', 'exp', 'iat', 'jti'],
      }));
    } catch (error) {
      if (error instanceof InvalidTokenError) throw error;
      if (error instanceof errors.JWTExpired) {
        throw new InvalidTokenError('expired', 'the access token has expired');
      }
      throw new InvalidTokenError('invalid');
    }
    const username = payload['sub'] as string;
    const status = await this.status(username);
    if (!status.ok) {
      throw new InvalidTokenError('account-disabled', 'the account is disabled');
    }
    if ((payload['iat'] as number) < status.notBeforeSeconds) {
      throw new InvalidTokenError(
        'password-changed',
        'the password was changed after this token was issued; sign in again',
      );
    }
    return principalFromClaims(
      payload,
      { rolesClaim: 'roles', patientClaim: 'patient', roleMap: this.options.roleMap },
      'account',
    );
  }

  private async status(username: string): Promise<AccountStatus> {
    const now = this.clock.now().getTime();
    const cached = this.statuses.get(username);
    if (cached && now - cached.readAt < this.statusTtlMs) return cached;
    const row = await findAccountStatus(this.db, username);
    const status: AccountStatus = {
      ok: row !== undefined && row.disabledAt === null,
      notBeforeSeconds: row?.passwordChangedAt
        ? Math.floor(row.passwordChangedAt.getTime() / 1000)
        : 0,
      readAt: now,
    };
    this.statuses.delete(username);
    this.statuses.set(username, status);
    if (this.statuses.size > MAX_CACHED_ACCOUNTS) {
      this.statuses.delete(this.statuses.keys().next().value!);
    }
    return status;
  }

  /** The newest key signs; made (and shared through the index) when there is none. */
  private signingKey(): Promise<{ kid: string; key: CryptoKey }> {
    this.signer ??= this.loadSigner().catch((error: unknown) => {
      this.signer = undefined;
      throw error;
    });
    return this.signer;
  }

  private async loadSigner(): Promise<{ kid: string; key: CryptoKey }> {
    let rows = await listSigningKeys(this.db);
    if (rows.length === 0) {
      const pair = await generateKeyPair(ALGORITHM, { crv: 'Ed25519', extractable: true });
      const publicJwk = await exportJWK(pair.publicKey);
      // RFC 7638 thumbprint: two nodes making a key at once keep two distinct keys, both valid.
      const kid = await calculateJwkThumbprint(publicJwk);
      await insertSigningKey(this.db, {
        kid,
        algorithm: ALGORITHM,
        privateJwk: await exportJWK(pair.privateKey),
        publicJwk,
        createdAt: this.clock.now(),
      });
      rows = await listSigningKeys(this.db);
    }
    const newest = rows[0]!;
    const key = await importJWK(newest.privateJwk as JWK, ALGORITHM);
    return { kid: newest.kid, key: key as CryptoKey };
  }

  private async publicKey(kid: string | undefined): Promise<CryptoKey> {
    if (kid === undefined) throw new InvalidTokenError('no-kid');
    let key = this.publicKeys.get(kid);
    const now = Date.now();
    if (key === undefined && now - this.lastKeyReload >= KEY_RELOAD_COOLDOWN_MS) {
      // A key made by another node since this one last looked.
      this.lastKeyReload = now;
      for (const row of await listSigningKeys(this.db)) {
        if (row.algorithm !== ALGORITHM || this.publicKeys.has(row.kid)) continue;
        const imported = await importJWK(row.publicJwk as JWK, ALGORITHM);
        this.publicKeys.set(row.kid, imported as CryptoKey);
      }
      key = this.publicKeys.get(kid);
    }
    if (key === undefined) throw new InvalidTokenError('unknown-key');
    return key;
  }
}

function sha256(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

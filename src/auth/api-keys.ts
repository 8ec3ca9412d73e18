import { createHash, randomBytes } from 'node:crypto';
import {
  findApiKeyByHash,
  insertApiKey,
  listApiKeys,
  revokeApiKey,
  touchApiKeys,
  type ApiKeyRow,
} from '../index/api-keys.repository.js';
import type { Db } from '../index/db.js';
import { systemClock, type Clock } from '../lib/clock.js';
import type { Logger } from '../lib/log.js';
import { ulid } from '../lib/ulid.js';
import { API_KEY_PREFIX, type ApiKeyVerifier } from './authenticate.js';
import { InvalidAuthRequestError, InvalidTokenError } from './errors.js';
import type { Principal } from './principal.js';
import { actionsOf, type RoleMap } from './roles.js';

/**
 * API keys for modalities, gateways and scripts: long-lived bearer secrets with one role, made
 * by `strata keys create` and sent as `Authorization: Bearer strata_…`.
 *
 * A key is `strata_` + 32 random bytes in base64url (43 characters). The index keeps only its
 * SHA-256 and its first characters (to tell keys apart in `strata keys list`): a copy of the
 * database does not hold a usable key. A 256-bit random secret needs no slow, salted hash (that
 * defends guessable passwords), so the key is found by its hash through a unique index.
 *
 * Timing: the lookup compares SHA-256(presented key) with stored hashes, never the key with a
 * stored secret; how long it takes tells at most how much of an unrelated hash matched, which
 * brings no one closer to a key (finding one would mean inverting SHA-256).
 *
 * Verified keys are cached for `cacheTtlMs` (30 s by default) so a modality sending a hundred
 * instances a second does not query the index per request. Revocation in another process
 * (`strata keys revoke`, another server) therefore takes effect within that time; `revoke` on
 * this object takes effect at once here.
 */

/** 32 random bytes are 43 base64url characters (RFC 4648 §5, no padding). */
const SECRET_BYTES = 32;
const KEY_SHAPE = new RegExp(`^${API_KEY_PREFIX}[A-Za-z0-9_-]{43}$`);
/** What `strata keys list` shows of a key: `strata_` and 5 characters of the secret. */
export const DISPLAY_PREFIX_LENGTH = 12;
/** Names are audit-trail user ids typed on a command line: no spaces, bounded. */
const NAME_SHAPE = /^[A-Za-z0-9][A-Za-z0-9._@:-]{0,63}$/;
/** PS3.5 Table 6.2-1: PatientID is LO, at most 64 characters. */
const MAX_PATIENT_ID = 64;

export interface ApiKeysOptions {
  db: Db;
  /** The roles a key may carry and what they allow (AUTH_ROLE_MAP over the defaults). */
  roles: RoleMap;
  log: Logger;
  /** How long a verified key is trusted without asking the index: the revocation delay. */
  cacheTtlMs?: number;
  /** Most verified keys held at once (the oldest lookups leave first). */
  cacheMaxEntries?: number;
  /** Shortest time between two writes of one key's last_used_at. */
  touchIntervalMs?: number;
  /** How long last-use records gather before one statement writes them. */
  touchDelayMs?: number;
  clock?: Clock;
}

export interface CreateApiKey {
  name: string;
  role: string;
  /** Patient context: the key sees only these PatientIDs' studies. Unset = no restriction. */
  patientIds?: readonly string[] | undefined;
}

/** A key as listed: everything but its hash. */
export interface ApiKeyInfo {
  id: string;
  name: string;
  role: string;
  prefix: string;
  patientIds: readonly string[] | undefined;
  createdAt: Date;
  lastUsedAt: Date | undefined;
  revokedAt: Date | undefined;
}

export interface CreatedApiKey extends ApiKeyInfo {
  /** The key itself: shown once, never stored. */
  key: string;
}

interface Verified {
  id: string;
  principal: Principal;
  expiresAt: number;
}

export class ApiKeys implements ApiKeyVerifier {
  private readonly db: Db;
  private readonly clock: Clock;
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly touchIntervalMs: number;
  private readonly touchDelayMs: number;
  /** SHA-256 hex → verified key; Map order is lookup order (oldest first). */
  private readonly cache = new Map<string, Verified>();
  /** One index lookup per hash at a time, however many requests carry the key. */
  private readonly lookups = new Map<string, Promise<Verified>>();
  /** Key id → when its use was last queued for recording (ms). */
  private readonly lastTouch = new Map<string, number>();
  private readonly pendingTouches = new Set<string>();
  /** Counts revocations here, so a lookup that raced one does not cache what it read before. */
  private revocations = 0;
  private touchTimer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(private readonly options: ApiKeysOptions) {
    this.db = options.db;
    this.clock = options.clock ?? systemClock;
    this.ttlMs = options.cacheTtlMs ?? 30_000;
    this.maxEntries = options.cacheMaxEntries ?? 1000;
    this.touchIntervalMs = options.touchIntervalMs ?? 60_000;
    this.touchDelayMs = options.touchDelayMs ?? 1000;
  }

  /** Makes a key. The returned `key` is the only copy there will ever be. */
  async create(request: CreateApiKey): Promise<CreatedApiKey> {
    const { name, role } = request;
    if (!NAME_SHAPE.test(name) || name.startsWith(API_KEY_PREFIX)) {
      throw new InvalidAuthRequestError(
        `key name "${name.slice(0, 80)}" is not valid: 1 to 64 of letters, digits and . _ @ : -, starting with a letter or digit, not starting with "${API_KEY_PREFIX}"`,
      );
    }
    if (!this.options.roles.has(role)) {
      throw new InvalidAuthRequestError(
        `unknown role "${role.slice(0, 80)}"; known roles: ${[...this.options.roles.keys()].join(', ')}`,
      );
    }
    const patientIds = request.patientIds && [...request.patientIds];
    if (patientIds?.length === 0) {
      throw new InvalidAuthRequestError('an empty patient list would see nothing; omit it instead');
    }
    if (patientIds?.some((p) => p.trim() === '' || p.length > MAX_PATIENT_ID)) {
      throw new InvalidAuthRequestError(`patient IDs are 1 to ${MAX_PATIENT_ID} characters`);
    }
    const key = API_KEY_PREFIX + randomBytes(SECRET_BYTES).toString('base64url');
    const row = await insertApiKey(this.db, {
      id: ulid(),
      name,
      role,
      secretHash: hashOf(key),
      prefix: key.slice(0, DISPLAY_PREFIX_LENGTH),
      patientIds,
    });
    if (!row) {
      throw new InvalidAuthRequestError(
        `a live key named "${name}" exists; revoke it first or choose another name`,
      );
    }
    return { key, ...infoOf(row) };
  }

  /** Every key, revoked ones included, oldest first; never the secret or its hash. */
  async list(): Promise<ApiKeyInfo[]> {
    return (await listApiKeys(this.db)).map(infoOf);
  }

  /** Revokes the live key with this id or name; empty when there was none. */
  async revoke(idOrName: string): Promise<ApiKeyInfo[]> {
    const revoked = await revokeApiKey(this.db, idOrName, this.clock.now());
    this.revocations += 1;
    for (const row of revoked) this.cache.delete(row.secretHash);
    return revoked.map(infoOf);
  }

  /** ApiKeyVerifier: the key's principal, or InvalidTokenError (unknown and revoked alike). */
  async verify(key: string): Promise<Principal> {
    if (!KEY_SHAPE.test(key)) throw new InvalidTokenError('api-key-malformed');
    const hash = hashOf(key);
    const now = this.clock.now().getTime();
    let verified = this.cache.get(hash);
    if (!verified || verified.expiresAt <= now) {
      this.cache.delete(hash);
      verified = await this.lookUp(hash);
    }
    this.noteUse(verified.id, now);
    return verified.principal;
  }

  /** Writes the pending last-use records now (shutdown, tests). Never throws. */
  async flush(): Promise<void> {
    if (this.touchTimer) clearTimeout(this.touchTimer);
    this.touchTimer = undefined;
    const ids = [...this.pendingTouches];
    this.pendingTouches.clear();
    if (ids.length > 0) {
      this.flushing = this.flushing.then(() => this.writeTouches(ids));
    }
    await this.flushing;
  }

  private lookUp(hash: string): Promise<Verified> {
    let lookup = this.lookups.get(hash);
    if (!lookup) {
      lookup = this.load(hash).finally(() => this.lookups.delete(hash));
      this.lookups.set(hash, lookup);
    }
    return lookup;
  }

  private async load(hash: string): Promise<Verified> {
    const revocations = this.revocations;
    const row = await findApiKeyByHash(this.db, hash);
    // Both read the same to the client (InvalidTokenError's default message); the reason is
    // for the audit trail.
    if (!row) throw new InvalidTokenError('api-key-unknown');
    if (row.revokedAt) throw new InvalidTokenError('api-key-revoked');
    if (!this.options.roles.has(row.role)) {
      // AUTH_ROLE_MAP no longer names the key's role: it authenticates but may do nothing.
      this.options.log.warn('API key role is not in the role map', { key: row.name });
    }
    const verified: Verified = {
      id: row.id,
      principal: {
        method: 'api-key',
        id: row.name,
        roles: [row.role],
        actions: actionsOf([row.role], this.options.roles),
        patientIds: row.patientIds ?? undefined,
      },
      expiresAt: this.clock.now().getTime() + this.ttlMs,
    };
    if (this.ttlMs > 0 && revocations === this.revocations) this.cache.set(hash, verified);
    for (const oldest of this.cache.keys()) {
      if (this.cache.size <= this.maxEntries) break;
      this.cache.delete(oldest);
    }
    return verified;
  }

  /** Queues a last-use record at most once per touchIntervalMs per key, off the request path. */
  private noteUse(id: string, now: number): void {
    const last = this.lastTouch.get(id);
    if (last !== undefined && now - last < this.touchIntervalMs) return;
    if (this.lastTouch.size >= this.maxEntries) this.forgetOldTouches(now);
    this.lastTouch.set(id, now);
    this.pendingTouches.add(id);
    if (!this.touchTimer) {
      this.touchTimer = setTimeout(() => void this.flush(), this.touchDelayMs);
      // A pending record never keeps the process alive; at worst one minute's use goes unrecorded.
      this.touchTimer.unref();
    }
  }

  private forgetOldTouches(now: number): void {
    for (const [id, at] of this.lastTouch) {
      if (now - at >= this.touchIntervalMs) this.lastTouch.delete(id);
    }
  }

  private async writeTouches(ids: string[]): Promise<void> {
    try {
      await touchApiKeys(this.db, ids, this.clock.now());
    } catch (error) {
      // Bookkeeping only: the requests were served. The next use tries again.
      for (const id of ids) this.lastTouch.delete(id);
      this.options.log.warn('could not record API key use', { keys: ids.length, error });
    }
  }
}

function hashOf(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

function infoOf(row: ApiKeyRow): ApiKeyInfo {
  return {
    id: row.id,
    name: row.name,
    role: row.role,
    prefix: row.prefix,
    patientIds: row.patientIds ?? undefined,
    createdAt: row.createdAt,
    lastUsedAt: row.lastUsedAt ?? undefined,
    revokedAt: row.revokedAt ?? undefined,
  };
}

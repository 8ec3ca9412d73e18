import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb, type Database } from '../index/db.js';
import { migrateDb } from '../index/migrate.js';
import { apiKeys as apiKeysTable } from '../index/schema.js';
import { FakeClock } from '../lib/clock.js';
import { createLogger } from '../lib/log.js';
import { ApiKeys, type ApiKeysOptions } from './api-keys.js';
import { InvalidAuthRequestError, InvalidTokenError } from './errors.js';
import { DEFAULT_ROLES, parseRoleMap, type RoleMap } from './roles.js';

/** One in-memory index, migrated, for the whole file (opening one costs seconds). */
let database: Database;
const fixture = {
  get db() {
    return database.db;
  },
  log: createLogger('silent'),
};
let counter = 0;

beforeAll(async () => {
  database = await openDb({});
  await migrateDb(database);
});
afterAll(() => database?.close());

/** A distinct key name per test (they share one index). */
const named = (what: string) => `${what}-${++counter}`;

function apiKeys(options: Partial<ApiKeysOptions> = {}): ApiKeys {
  return new ApiKeys({ db: fixture.db, roles: DEFAULT_ROLES, log: fixture.log, ...options });
}

async function rowOf(name: string) {
  const rows = await fixture.db.select().from(apiKeysTable);
  return rows.filter((r) => r.name === name).at(-1)!;
}

async function refusal(promise: Promise<unknown>): Promise<InvalidTokenError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InvalidTokenError);
  return error as InvalidTokenError;
}

async function reasonOf(promise: Promise<unknown>): Promise<string> {
  return (await refusal(promise)).reason;
}

describe('#12: ApiKeys.create', () => {
  it('returns strata_ and 43 base64url characters of 32 random bytes, storing only its SHA-256 and a 12-character prefix', async () => {
    const name = named('ct');
    const created = await apiKeys().create({ name, role: 'uploader' });
    expect(created.key).toMatch(/^strata_[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(created.key.slice(7), 'base64url')).toHaveLength(32);
    const row = await rowOf(name);
    expect(row.secretHash).toBe(createHash('sha256').update(created.key).digest('hex'));
    expect(row.prefix).toBe(created.key.slice(0, 12));
    expect(created.prefix).toBe(row.prefix);
    const stored = await fixture.db.execute(sql`select api_keys::text as t from api_keys`);
    expect(JSON.stringify(stored)).not.toContain(created.key.slice(12));
  });

  it('makes a different key every time', async () => {
    const keys = apiKeys();
    const a = await keys.create({ name: named('a'), role: 'reader' });
    const b = await keys.create({ name: named('b'), role: 'reader' });
    expect(a.key).not.toBe(b.key);
  });

  it('refuses a role the role map does not know, naming the known ones', async () => {
    const error = await apiKeys()
      .create({ name: named('x'), role: 'superuser' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidAuthRequestError);
    expect((error as Error).message).toMatch(/unknown role "superuser".*reader, uploader/);
  });

  it('accepts a role that AUTH_ROLE_MAP adds', async () => {
    const roles = parseRoleMap('gateway=write+read') as RoleMap;
    const keys = apiKeys({ roles });
    const created = await keys.create({ name: named('gw'), role: 'gateway' });
    expect([...(await keys.verify(created.key)).actions].sort()).toEqual(['read', 'write']);
  });

  it('refuses a second live key of the same name; once revoked, the name is free again', async () => {
    const keys = apiKeys();
    const name = named('dup');
    await keys.create({ name, role: 'reader' });
    await expect(keys.create({ name, role: 'writer' })).rejects.toThrow(/live key named/);
    expect(await keys.revoke(name)).toHaveLength(1);
    await expect(keys.create({ name, role: 'writer' })).resolves.toMatchObject({ name });
  });

  it.each(['', 'has space', '-leading-dash', 'strata_looks_like_a_key', 'x'.repeat(65)])(
    'refuses the name %j',
    async (name) => {
      await expect(apiKeys().create({ name, role: 'reader' })).rejects.toThrow(
        InvalidAuthRequestError,
      );
    },
  );

  it('refuses an empty patient list and over-long patient IDs', async () => {
    const keys = apiKeys();
    await expect(keys.create({ name: named('p'), role: 'reader', patientIds: [] })).rejects.toThrow(
      /empty patient list/,
    );
    await expect(
      keys.create({ name: named('p'), role: 'reader', patientIds: ['x'.repeat(65)] }),
    ).rejects.toThrow(/patient IDs/);
  });
});

describe('#12: ApiKeys.verify', () => {
  it('gives the principal of the key: its name, its role and what the role allows, its patients', async () => {
    const keys = apiKeys();
    const name = named('viewer');
    const { key } = await keys.create({ name, role: 'writer', patientIds: ['P1', 'P2'] });
    const principal = await keys.verify(key);
    expect(principal).toMatchObject({
      method: 'api-key',
      id: name,
      roles: ['writer'],
      patientIds: ['P1', 'P2'],
    });
    expect([...principal.actions].sort()).toEqual(['read', 'write']);
    expect(
      (await keys.verify((await keys.create({ name: named('n'), role: 'reader' })).key)).patientIds,
    ).toBeUndefined();
  });

  it('refuses an unknown key and a revoked key with the same message', async () => {
    const keys = apiKeys();
    const { key } = await keys.create({ name: named('gone'), role: 'reader' });
    await keys.revoke((await keys.list()).find((k) => k.prefix === key.slice(0, 12))!.id);
    const revoked = await refusal(keys.verify(key));
    const unknown = await refusal(keys.verify('strata_' + 'A'.repeat(43)));
    expect([revoked.reason, unknown.reason]).toEqual(['api-key-revoked', 'api-key-unknown']);
    expect(revoked.message).toBe(unknown.message);
    expect(revoked.code).toBe('auth.invalid_token');
  });

  it.each(['strata_short', 'strata_' + 'A'.repeat(44), 'strata_' + '!'.repeat(43)])(
    'refuses the malformed key %j without asking the index',
    async (key) => {
      expect(await reasonOf(apiKeys().verify(key))).toBe('api-key-malformed');
    },
  );

  it('trusts a verified key for the cache TTL: revocation elsewhere takes effect once it passes', async () => {
    const clock = new FakeClock();
    const server = apiKeys({ clock, cacheTtlMs: 30_000 });
    const cli = apiKeys();
    const name = named('cached');
    const { key } = await cli.create({ name, role: 'uploader' });
    await server.verify(key);
    await cli.revoke(name);
    clock.advance(29_000);
    await expect(server.verify(key)).resolves.toMatchObject({ id: name });
    clock.advance(1_000);
    expect(await reasonOf(server.verify(key))).toBe('api-key-revoked');
  });

  it('revocation through the verifying object itself takes effect at once', async () => {
    const keys = apiKeys({ cacheTtlMs: 60_000 });
    const name = named('now');
    const { key } = await keys.create({ name, role: 'uploader' });
    await keys.verify(key);
    await keys.revoke(name);
    expect(await reasonOf(keys.verify(key))).toBe('api-key-revoked');
  });

  it('with a TTL of 0 looks every key up each time', async () => {
    const keys = apiKeys({ cacheTtlMs: 0 });
    const other = apiKeys();
    const name = named('nocache');
    const { key } = await keys.create({ name, role: 'uploader' });
    await keys.verify(key);
    await other.revoke(name);
    expect(await reasonOf(keys.verify(key))).toBe('api-key-revoked');
  });

  it('holds at most cacheMaxEntries keys; the least recently verified leaves first', async () => {
    const keys = apiKeys({ cacheMaxEntries: 2, cacheTtlMs: 60_000 });
    const other = apiKeys();
    const made = [];
    for (let i = 0; i < 3; i++)
      made.push(await keys.create({ name: named('lru'), role: 'reader' }));
    for (const { key } of made) await keys.verify(key);
    for (const { name } of made) await other.revoke(name);
    // The first left the cache when the third came in: it is looked up again and found revoked.
    expect(await reasonOf(keys.verify(made[0]!.key))).toBe('api-key-revoked');
    await expect(keys.verify(made[2]!.key)).resolves.toMatchObject({ id: made[2]!.name });
  });

  it('many requests with one key at once all succeed', async () => {
    const keys = apiKeys();
    const { key, name } = await keys.create({ name: named('burst'), role: 'uploader' });
    const principals = await Promise.all(Array.from({ length: 50 }, () => keys.verify(key)));
    expect(principals.every((p) => p.id === name)).toBe(true);
  });

  it('a key whose role AUTH_ROLE_MAP no longer has authenticates but may do nothing', async () => {
    const roles = parseRoleMap('scanner=write') as RoleMap;
    const { key, name } = await apiKeys({ roles }).create({ name: named('old'), role: 'scanner' });
    const principal = await apiKeys().verify(key);
    expect(principal.id).toBe(name);
    expect(principal.actions.size).toBe(0);
  });
});

describe('#12: last_used_at', () => {
  it('is recorded off the request path, at most once per interval per key', async () => {
    const clock = new FakeClock(new Date('2026-01-01T00:00:00Z'));
    const keys = apiKeys({ clock, touchIntervalMs: 60_000, touchDelayMs: 60_000 });
    const name = named('used');
    const { key } = await keys.create({ name, role: 'uploader' });
    expect((await rowOf(name)).lastUsedAt).toBeNull();
    await keys.verify(key);
    // Not yet written: verify does not wait for the record (the delay batches them).
    expect((await rowOf(name)).lastUsedAt).toBeNull();
    await keys.flush();
    expect((await rowOf(name)).lastUsedAt).toEqual(new Date('2026-01-01T00:00:00Z'));
    clock.advance(59_000);
    await keys.verify(key);
    await keys.flush();
    expect((await rowOf(name)).lastUsedAt).toEqual(new Date('2026-01-01T00:00:00Z'));
    clock.advance(1_000);
    await keys.verify(key);
    await keys.flush();
    expect((await rowOf(name)).lastUsedAt).toEqual(new Date('2026-01-01T00:01:00Z'));
  });

  it('is written by itself after the batch delay', async () => {
    const keys = apiKeys({ touchDelayMs: 10 });
    const { key, name } = await keys.create({ name: named('auto'), role: 'reader' });
    await keys.verify(key);
    const deadline = Date.now() + 5000;
    while ((await rowOf(name)).lastUsedAt === null) {
      if (Date.now() > deadline) throw new Error('last_used_at not written within 5 s');
      await new Promise((r) => setTimeout(r, 20));
    }
  });

  it('a failure to record it is logged, never thrown', async () => {
    const own = await openDb({});
    await migrateDb(own);
    const lines: string[] = [];
    const keys = new ApiKeys({
      db: own.db,
      roles: DEFAULT_ROLES,
      log: createLogger('warn', (line) => lines.push(line)),
      touchDelayMs: 60_000,
    });
    const { key } = await keys.create({ name: 'lonely', role: 'reader' });
    await keys.verify(key);
    await own.close();
    await expect(keys.flush()).resolves.toBeUndefined();
    expect(lines.join('\n')).toContain('could not record API key use');
    expect(lines.join('\n')).not.toContain(key);
  });
});

describe('#12: ApiKeys.list and revoke', () => {
  it('lists keys without their secret or hash, revoked ones marked', async () => {
    const keys = apiKeys();
    const { key, name } = await keys.create({ name: named('listed'), role: 'editor' });
    await keys.revoke(name);
    const listed = (await keys.list()).find((k) => k.name === name)!;
    expect(listed).toMatchObject({ role: 'editor', prefix: key.slice(0, 12) });
    expect(listed.revokedAt).toBeInstanceOf(Date);
    expect(JSON.stringify(await keys.list())).not.toMatch(/secretHash|[0-9a-f]{64}/);
  });

  it('revokes by id as by name, and reports nothing when no live key matches', async () => {
    const keys = apiKeys();
    const created = await keys.create({ name: named('byid'), role: 'reader' });
    expect(await keys.revoke(created.id)).toMatchObject([{ name: created.name }]);
    expect(await keys.revoke(created.id)).toEqual([]);
    expect(await keys.revoke('no-such-key')).toEqual([]);
  });
});

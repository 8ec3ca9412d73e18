import { decodeJwt, decodeProtectedHeader, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb, type Database } from '../index/db.js';
import { migrateDb } from '../index/migrate.js';
import { insertAccount, setAccountDisabled } from '../index/accounts.repository.js';
import { FakeClock } from '../lib/clock.js';
import { InvalidGrantError, InvalidTokenError } from './errors.js';
import { LOCAL_ISSUER, LocalTokens, type TokenSubject } from './local-tokens.js';
import { DEFAULT_ROLES } from './roles.js';

let database: Database;
let other: Database;
const clock = new FakeClock(new Date('2026-03-01T08:00:00Z'));
const options = {
  ttlSeconds: 900,
  refreshTtlSeconds: 3600,
  roleMap: DEFAULT_ROLES,
  clockToleranceSeconds: 0,
};
const alice: TokenSubject = {
  id: 'acc-alice',
  username: 'alice',
  roles: ['reader'],
  patientIds: ['PAT-1'],
};

beforeAll(async () => {
  [database, other] = await Promise.all([openDb({}), openDb({})]);
  await Promise.all([migrateDb(database), migrateDb(other)]);
  for (const { db } of [database, other])
    await insertAccount(db, {
      id: alice.id,
      username: alice.username,
      passwordHash: 'x',
      roles: ['reader'],
      patientIds: ['PAT-1'],
      totpRequired: false,
      totpSecret: null,
      createdAt: new Date(clock.now().getTime() - 60_000),
    });
});
afterAll(async () => {
  await database.close();
  await other.close();
});

async function rejection(promise: Promise<unknown>): Promise<InvalidTokenError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InvalidTokenError);
  return error as InvalidTokenError;
}

describe('LocalTokens', () => {
  it('issues an Ed25519 JWT for the account that verifies to its principal', async () => {
    const tokens = new LocalTokens(database.db, options, clock);
    const grant = await tokens.grant(alice);
    expect(grant).toMatchObject({ tokenType: 'Bearer', expiresIn: 900 });
    expect(decodeProtectedHeader(grant.accessToken)).toMatchObject({ alg: 'EdDSA', typ: 'at+jwt' });
    const claims = decodeJwt(grant.accessToken);
    expect(claims).toMatchObject({ iss: LOCAL_ISSUER, sub: 'alice', roles: ['reader'] });
    expect(claims.exp! - claims.iat!).toBe(900);
    expect(typeof claims.jti).toBe('string');
    const principal = await tokens.verify(grant.accessToken);
    expect(principal).toMatchObject({ method: 'account', id: 'alice', roles: ['reader'] });
    expect([...principal.actions]).toEqual(['read']);
    expect(principal.patientIds).toEqual(['PAT-1']);
  });

  it('every node shares the key through the index: another instance verifies the token', async () => {
    const grant = await new LocalTokens(database.db, options, clock).grant(alice);
    const second = new LocalTokens(database.db, options, clock);
    expect((await second.verify(grant.accessToken)).id).toBe('alice');
    const first = decodeProtectedHeader(grant.accessToken).kid;
    const again = await second.grant(alice);
    expect(decodeProtectedHeader(again.accessToken).kid).toBe(first);
  });

  it('refuses an expired token, saying so', async () => {
    const local = new FakeClock(clock.now());
    const tokens = new LocalTokens(database.db, options, local);
    const grant = await tokens.grant(alice);
    local.advance(899_000);
    await tokens.verify(grant.accessToken);
    local.advance(2_000);
    const error = await rejection(tokens.verify(grant.accessToken));
    expect(error.reason).toBe('expired');
    expect(error.message).toMatch(/expired/);
  });

  it('refuses a tampered token (claims changed after signing)', async () => {
    const tokens = new LocalTokens(database.db, options, clock);
    const [header, payload, signature] = (await tokens.grant(alice)).accessToken.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
    claims.roles = ['admin'];
    const forged = [header, Buffer.from(JSON.stringify(claims)).toString('base64url'), signature];
    expect((await rejection(tokens.verify(forged.join('.')))).reason).toBe('invalid');
  });

  it('refuses a token signed by a key the index does not hold, even under a known kid', async () => {
    const tokens = new LocalTokens(database.db, options, clock);
    const foreign = await new LocalTokens(other.db, options, clock).grant(alice);
    expect((await rejection(tokens.verify(foreign.accessToken))).reason).toBe('unknown-key');

    const kid = decodeProtectedHeader((await tokens.grant(alice)).accessToken).kid!;
    const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const now = Math.floor(clock.now().getTime() / 1000);
    const impostor = await new SignJWT({ roles: ['admin'] })
      .setProtectedHeader({ alg: 'EdDSA', kid, typ: 'at+jwt' })
      .setIssuer(LOCAL_ISSUER)
      .setSubject('alice')
      .setIssuedAt(now)
      .setExpirationTime(now + 60)
      .setJti('x')
      .sign(privateKey);
    expect((await rejection(tokens.verify(impostor))).reason).toBe('invalid');
  });

  it("stops accepting a disabled account's tokens (at once on the node told, else after the status TTL)", async () => {
    const local = new FakeClock(clock.now());
    const here = new LocalTokens(database.db, { ...options, statusTtlMs: 5_000 }, local);
    const there = new LocalTokens(database.db, { ...options, statusTtlMs: 5_000 }, local);
    const grant = await here.grant(alice);
    await here.verify(grant.accessToken);
    await there.verify(grant.accessToken);
    await setAccountDisabled(database.db, alice.id, local.now());
    here.forget('alice');
    expect((await rejection(here.verify(grant.accessToken))).reason).toBe('account-disabled');
    await there.verify(grant.accessToken); // still cached
    local.advance(5_000);
    expect((await rejection(there.verify(grant.accessToken))).reason).toBe('account-disabled');
    await setAccountDisabled(database.db, alice.id, null);
  });

  it('rotates refresh tokens; a second use of one revokes every refresh token of the account', async () => {
    const tokens = new LocalTokens(database.db, options, clock);
    const first = await tokens.grant(alice);
    const spent = await tokens.redeem(first.refreshToken);
    expect(spent.accountId).toBe(alice.id);
    const second = await tokens.grant(alice, spent.sessionEnds);
    // The session keeps its end: rotation does not extend it.
    expect(spent.sessionEnds.getTime()).toBeLessThanOrEqual(clock.now().getTime() + 3_600_000);

    await expect(tokens.redeem(first.refreshToken)).rejects.toThrow(/already used/);
    await expect(tokens.redeem(second.refreshToken)).rejects.toBeInstanceOf(InvalidGrantError);
    await expect(tokens.redeem('not-a-token')).rejects.toThrow(/not valid/);
  });

  it('a refresh token is good until its session ends, not after', async () => {
    const local = new FakeClock(clock.now());
    const tokens = new LocalTokens(database.db, options, local);
    const grant = await tokens.grant(alice);
    local.advance(3_600_000);
    await expect(tokens.redeem(grant.refreshToken)).rejects.toThrow(/not valid or has expired/);
  });
});

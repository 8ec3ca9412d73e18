import { generate } from 'otplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findAccountByUsername, updatePasswordHash } from '../index/accounts.repository.js';
import { openDb, type Database } from '../index/db.js';
import { migrateDb } from '../index/migrate.js';
import { FakeClock } from '../lib/clock.js';
import { AccountService } from './accounts.js';
import {
  InvalidAuthRequestError,
  InvalidGrantError,
  InvalidTokenError,
  RateLimitedError,
} from './errors.js';
import { LocalTokens } from './local-tokens.js';
import { hashPassword } from './passwords.js';
import { DEFAULT_ROLES } from './roles.js';

let database: Database;
const clock = new FakeClock(new Date('2026-03-01T08:00:00Z'));
const CHEAP = { N: 1024, r: 8, p: 1 };
let tokens: LocalTokens;
let service: AccountService;
const PASSWORD = 'correct horse battery staple';

beforeAll(async () => {
  database = await openDb({});
  await migrateDb(database);
  tokens = new LocalTokens(
    database.db,
    { ttlSeconds: 900, refreshTtlSeconds: 3600, roleMap: DEFAULT_ROLES, clockToleranceSeconds: 0 },
    clock,
  );
  service = new AccountService(
    database.db,
    tokens,
    {
      maxFailures: 3,
      lockoutSeconds: 600,
      roleMap: DEFAULT_ROLES,
      totpIssuer: 'Strata',
      scrypt: CHEAP,
    },
    clock,
  );
});
afterAll(() => database.close());

async function failure(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: unknown) => e as Error,
  );
}

const codeAt = (secret: string, date: Date) =>
  generate({ secret, epoch: Math.floor(date.getTime() / 1000) });

describe('AccountService', () => {
  it('adds an account and signs it in: a token for its roles and patient context', async () => {
    await service.add({
      username: 'Alice',
      password: PASSWORD,
      roles: ['reader'],
      patientIds: ['P1'],
    });
    const grant = await service.signIn('alice', PASSWORD);
    expect(grant.account).toEqual({ username: 'alice', roles: ['reader'] });
    const principal = await tokens.verify(grant.accessToken);
    expect(principal).toMatchObject({ method: 'account', id: 'alice', patientIds: ['P1'] });
    expect(await service.list()).toEqual([
      expect.objectContaining({
        username: 'alice',
        roles: ['reader'],
        totp: 'off',
        disabled: false,
      }),
    ]);
  });

  it('refuses bad names, unknown roles, short passwords and duplicates, saying why', async () => {
    const add = (over: object) =>
      failure(service.add({ username: 'bob', password: PASSWORD, roles: ['reader'], ...over }));
    expect((await add({ username: 'bad name' })).message).toMatch(/user name/);
    expect((await add({ roles: ['root'] })).message).toMatch(/unknown role "root"/);
    expect((await add({ roles: [] })).message).toMatch(/at least one role/);
    expect((await add({ password: 'short' })).message).toMatch(/at least 12 characters/);
    expect(await add({ username: 'ALICE' })).toBeInstanceOf(InvalidAuthRequestError);
  });

  it('an unknown name and a wrong password give the same answer', async () => {
    const unknown = await failure(service.signIn('nobody', PASSWORD));
    const wrong = await failure(service.signIn('alice', 'not the password'));
    expect(unknown).toBeInstanceOf(InvalidGrantError);
    expect(wrong).toBeInstanceOf(InvalidGrantError);
    expect(unknown.message).toBe(wrong.message);
    await service.signIn('alice', PASSWORD); // resets alice's count
  });

  it('locks after N failures in a row, even against the right password, until the time is up', async () => {
    await service.add({ username: 'carol', password: PASSWORD, roles: ['writer'] });
    for (let i = 0; i < 3; i++) {
      expect(await failure(service.signIn('carol', 'wrong password!'))).toBeInstanceOf(
        InvalidGrantError,
      );
    }
    const locked = await failure(service.signIn('carol', PASSWORD));
    expect(locked).toBeInstanceOf(RateLimitedError);
    expect((locked as RateLimitedError).retryAfterSeconds).toBe(600);
    clock.advance(599_000);
    expect(await failure(service.signIn('carol', PASSWORD))).toBeInstanceOf(RateLimitedError);
    clock.advance(1_000);
    await service.signIn('carol', PASSWORD);
    // A success starts the count again: two more failures do not lock.
    await failure(service.signIn('carol', 'wrong password!'));
    await failure(service.signIn('carol', 'wrong password!'));
    await service.signIn('carol', PASSWORD);
  });

  it('a burst of parallel guesses gets no more than N password checks before the lock', async () => {
    await service.add({ username: 'burst', password: PASSWORD, roles: ['reader'] });
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        failure(service.signIn('burst', `guess number ${i} of ten`)),
      ),
    );
    expect(answers.filter((e) => e instanceof InvalidGrantError)).toHaveLength(3);
    expect(answers.filter((e) => e instanceof RateLimitedError)).toHaveLength(7);
  });

  it('a disabled account cannot sign in or refresh, and its tokens stop working', async () => {
    await service.add({ username: 'dave', password: PASSWORD, roles: ['reader'] });
    const grant = await service.signIn('dave', PASSWORD);
    await service.disable('dave');
    const refused = await failure(service.signIn('dave', PASSWORD));
    expect(refused).toBeInstanceOf(InvalidGrantError);
    expect(refused.message).toBe(new InvalidGrantError().message);
    expect(await failure(tokens.verify(grant.accessToken))).toBeInstanceOf(InvalidTokenError);
    expect(await failure(service.refresh(grant.refreshToken))).toBeInstanceOf(InvalidGrantError);
    await service.enable('dave');
    await service.signIn('dave', PASSWORD);
  });

  it('a new password ends earlier sessions and tokens', async () => {
    const grant = await service.signIn('dave', PASSWORD);
    clock.advance(1_000);
    await service.passwd('dave', 'another long passphrase');
    expect(await failure(tokens.verify(grant.accessToken))).toBeInstanceOf(InvalidTokenError);
    expect(await failure(service.refresh(grant.refreshToken))).toBeInstanceOf(InvalidGrantError);
    expect(await failure(service.signIn('dave', PASSWORD))).toBeInstanceOf(InvalidGrantError);
    await service.signIn('dave', 'another long passphrase');
  });

  it('TOTP: without a code asks for one; a wrong code fails; a code works once (no replay)', async () => {
    const { totp } = await service.add({
      username: 'erin',
      password: PASSWORD,
      roles: ['reader'],
      totpRequired: true,
    });
    expect(totp?.uri).toMatch(/^otpauth:\/\/totp\/Strata:erin\?/);
    const missing = await failure(service.signIn('erin', PASSWORD));
    expect(missing).toBeInstanceOf(InvalidGrantError);
    expect(missing.message).toMatch(/one-time code is needed/);
    const wrong = await failure(service.signIn('erin', PASSWORD, '000000'));
    expect(wrong.message).toMatch(/one-time code/);

    const code = await codeAt(totp!.secret, clock.now());
    await service.signIn('erin', PASSWORD, code);
    const replay = await failure(service.signIn('erin', PASSWORD, code));
    expect(replay).toBeInstanceOf(InvalidGrantError);
    expect(replay.message).toMatch(/already used/);
    clock.advance(30_000);
    await service.signIn('erin', PASSWORD, await codeAt(totp!.secret, clock.now()));
    // The right password with a code from a wrong step is no way around the lockout either.
    expect(await failure(service.signIn('erin', 'wrong password!', '123456'))).toBeInstanceOf(
      InvalidGrantError,
    );
  });

  it('required TOTP without an enrolled secret says what the administrator runs', async () => {
    await service.add({ username: 'frank', password: PASSWORD, roles: ['reader'] });
    const { secret } = await service.enrollTotp('frank');
    expect(await failure(service.signIn('frank', PASSWORD))).toBeInstanceOf(InvalidGrantError);
    await service.signIn('frank', PASSWORD, await codeAt(secret, clock.now()));
    expect((await service.list()).find((a) => a.username === 'frank')?.totp).toBe('enrolled');
  });

  it('refresh rotates; reusing a spent refresh token signs every session out', async () => {
    const first = await service.signIn('alice', PASSWORD);
    const second = await service.refresh(first.refreshToken);
    const third = await service.refresh(second.refreshToken);
    expect((await tokens.verify(third.accessToken)).id).toBe('alice');
    expect((await failure(service.refresh(first.refreshToken))).message).toMatch(/already used/);
    expect(await failure(service.refresh(third.refreshToken))).toBeInstanceOf(InvalidGrantError);
  });

  it('re-hashes a password stored with older parameters at sign-in', async () => {
    await service.add({ username: 'gina', password: PASSWORD, roles: ['reader'] });
    const old = await hashPassword(PASSWORD, { N: 512, r: 8, p: 1 });
    const before = (await findAccountByUsername(database.db, 'gina'))!;
    await updatePasswordHash(database.db, before.id, old, undefined);
    await service.signIn('gina', PASSWORD);
    const after = (await findAccountByUsername(database.db, 'gina'))!;
    expect(after.passwordHash.startsWith('scrypt$N=1024,r=8,p=1$')).toBe(true);
  });
});

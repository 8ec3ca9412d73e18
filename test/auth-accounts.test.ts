import { generate } from 'otplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AccountService } from '../src/auth/accounts.js';
import { makeInstance } from './helpers/make-dicom.js';
import { stow } from './helpers/multipart.js';
import { startTestServer, type TestServer } from './helpers/server.js';

/**
 * Built-in accounts end to end: `POST /auth/token` (RFC 6749 password and refresh grants) over
 * real HTTP, its tokens on a DICOMweb route, lockout, TOTP, refresh rotation, disabling.
 */
let server: TestServer;
let accounts: AccountService;
const PASSWORD = 'correct horse battery staple';

beforeAll(async () => {
  server = await startTestServer({
    AUTH_METHODS: 'account',
    AUTH_LOCKOUT_FAILURES: '3',
    AUTH_LOCKOUT_SECONDS: '300',
    RATE_LIMIT_LOGIN_PER_MINUTE: '0',
  });
  accounts = server.security.accounts!;
  await accounts.add({ username: 'reader1', password: PASSWORD, roles: ['reader'] });
  // One study, stored by a writer account, so searches have something to find.
  await accounts.add({ username: 'modality', password: PASSWORD, roles: ['uploader'] });
  const uploader = (await signIn('modality')).body.access_token as string;
  const stored = await stow(`${server.base}/studies`, [{ body: makeInstance().bytes }], {
    headers: { Authorization: `Bearer ${uploader}` },
  });
  expect(stored.status).toBe(200);
});
afterAll(async () => {
  await server?.close();
});

async function token(target: TestServer, fields: Record<string, string>) {
  const response = await fetch(`${target.url}/auth/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields),
  });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as Record<string, any>,
  };
}

const signIn = (username: string, password = PASSWORD, extra: Record<string, string> = {}) =>
  token(server, { grant_type: 'password', username, password, ...extra });

const studies = (accessToken?: string) =>
  fetch(`${server.base}/studies`, {
    headers: accessToken ? { Authorization: `Bearer ${accessToken}` } : {},
  });

describe('#12: built-in accounts (POST /auth/token)', () => {
  it('#12: a user signs in with name and password; the access token reads QIDO, nothing else does', async () => {
    const answer = await signIn('reader1');
    expect(answer.status).toBe(200);
    expect(answer.headers.get('cache-control')).toBe('no-store');
    expect(answer.body).toEqual({
      access_token: expect.any(String),
      token_type: 'Bearer',
      expires_in: 900,
      refresh_token: expect.any(String),
    });
    expect((await studies(answer.body.access_token)).status).toBe(200);
    expect((await studies()).status).toBe(401);
    const write = await fetch(`${server.base}/studies/1.2.3`, {
      method: 'DELETE',
      headers: { Authorization: `Bearer ${answer.body.access_token}` },
    });
    expect(write.status).toBe(403);
  });

  it('#12: a wrong password is 400 invalid_grant, word for word what an unknown name gets', async () => {
    const wrong = await signIn('reader1', 'not the password at all');
    const unknown = await signIn('nobody-here');
    expect(wrong.status).toBe(400);
    expect(wrong.body).toMatchObject({ code: 'auth.invalid_grant' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.detail).toBe(wrong.body.detail);
    expect((await signIn('reader1')).status).toBe(200); // resets the count
  });

  it('#12: malformed token requests are 400 invalid_request', async () => {
    const json = await fetch(`${server.url}/auth/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ grant_type: 'password', username: 'reader1', password: PASSWORD }),
    });
    expect(json.status).toBe(400);
    expect(await json.json()).toMatchObject({ code: 'auth.invalid_request' });
    const requests: Record<string, string>[] = [
      { username: 'reader1', password: PASSWORD },
      { grant_type: 'client_credentials' },
      { grant_type: 'password', username: 'reader1' },
    ];
    for (const fields of requests) {
      const answer = await token(server, fields);
      expect(answer.status, JSON.stringify(fields)).toBe(400);
      expect(answer.body.code).toBe('auth.invalid_request');
    }
  });

  it('#12: after AUTH_LOCKOUT_FAILURES failures the account answers 429 with Retry-After, even to the right password', async () => {
    await accounts.add({ username: 'locky', password: PASSWORD, roles: ['reader'] });
    for (let i = 0; i < 3; i++) {
      expect((await signIn('locky', 'wrong password here')).status).toBe(400);
    }
    const locked = await signIn('locky');
    expect(locked.status).toBe(429);
    expect(locked.body.code).toBe('auth.rate_limited');
    const retryAfter = Number(locked.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(290);
    expect(retryAfter).toBeLessThanOrEqual(300);
    // The lockout is a Security Alert in the audit trail, beside the refused sign-in.
    const alerts = await server.audit.search.search({ user: 'locky', event: '110113', limit: 10 });
    expect(alerts).toEqual([
      expect.objectContaining({
        eventId: '110113',
        eventType: '110137',
        outcome: 4,
        userId: 'locky',
        detail: { reason: 'account-locked' },
      }),
    ]);
    // Other accounts are not affected.
    expect((await signIn('reader1')).status).toBe(200);
  });

  it('#12: a user who needs TOTP gets 400 naming the one-time code without one, 200 with it; a code works once', async () => {
    const { totp } = await accounts.add({
      username: 'twofa',
      password: PASSWORD,
      roles: ['reader'],
      totpRequired: true,
    });
    const without = await signIn('twofa');
    expect(without.status).toBe(400);
    expect(without.body.code).toBe('auth.invalid_grant');
    expect(without.body.detail).toMatch(/one-time code is needed.*"totp"/);
    const code = await generate({ secret: totp!.secret });
    const withCode = await signIn('twofa', PASSWORD, { totp: code });
    expect(withCode.status).toBe(200);
    expect((await studies(withCode.body.access_token)).status).toBe(200);
    const replay = await signIn('twofa', PASSWORD, { totp: code });
    expect(replay.status).toBe(400);
    expect(replay.body.detail).toMatch(/already used/);
  });

  it('#12: refresh rotates the refresh token; reusing the old one fails and revokes the new one', async () => {
    const first = (await signIn('reader1')).body;
    const second = await token(server, {
      grant_type: 'refresh_token',
      refresh_token: first.refresh_token,
    });
    expect(second.status).toBe(200);
    expect(second.body.refresh_token).not.toBe(first.refresh_token);
    expect((await studies(second.body.access_token)).status).toBe(200);

    const reuse = await token(server, {
      grant_type: 'refresh_token',
      refresh_token: first.refresh_token,
    });
    expect(reuse.status).toBe(400);
    expect(reuse.body.code).toBe('auth.invalid_grant');
    const revoked = await token(server, {
      grant_type: 'refresh_token',
      refresh_token: second.body.refresh_token,
    });
    expect(revoked.status).toBe(400);
  });

  it("#12: a disabled user's existing token stops working, and it cannot sign in", async () => {
    await accounts.add({ username: 'leaver', password: PASSWORD, roles: ['reader'] });
    const grant = (await signIn('leaver')).body;
    expect((await studies(grant.access_token)).status).toBe(200);
    await accounts.disable('leaver');
    const after = await studies(grant.access_token);
    expect(after.status).toBe(401);
    expect(after.headers.get('www-authenticate')).toMatch(/invalid_token/);
    expect((await signIn('leaver')).status).toBe(400);
  });

  it('#12: a token signed by anyone else is refused', async () => {
    const good = (await signIn('reader1')).body.access_token as string;
    const [header, payload] = good.split('.');
    const forged = `${header}.${payload}.${Buffer.alloc(64).toString('base64url')}`;
    expect((await studies(forged)).status).toBe(401);
  });
});

describe('#12: per-address sign-in limit', () => {
  let limited: TestServer;
  beforeAll(async () => {
    limited = await startTestServer({
      AUTH_METHODS: 'account',
      RATE_LIMIT_LOGIN_PER_MINUTE: '3',
    });
  });
  afterAll(async () => {
    await limited?.close();
  });

  it('#12: more password attempts per minute than RATE_LIMIT_LOGIN_PER_MINUTE from one address answer 429', async () => {
    const attempt = (n: number) =>
      token(limited, { grant_type: 'password', username: `user${n}`, password: PASSWORD });
    for (let i = 0; i < 3; i++) expect((await attempt(i)).status).toBe(400);
    const refused = await attempt(3);
    expect(refused.status).toBe(429);
    expect(refused.body.code).toBe('auth.rate_limited');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});

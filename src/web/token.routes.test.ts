import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { AuditUnavailableError } from '../audit/errors.js';
import type { AuditEvent, AuditSink } from '../audit/event.js';
import type { SignedIn } from '../auth/accounts.js';
import { InvalidGrantError } from '../auth/errors.js';
import { RateLimiter } from '../auth/rate-limiter.js';
import { createLogger } from '../lib/log.js';
import { RouteTable } from './access.js';
import { problemResponse } from './problem.js';
import { registerTokenRoutes } from './token.routes.js';

const GRANT: SignedIn = {
  accessToken: 'a.b.c',
  tokenType: 'Bearer',
  expiresIn: 900,
  refreshToken: 'r'.repeat(43),
  account: { username: 'alice', roles: ['reader', 'uploader'] },
};

function recorder(): AuditSink & { events: AuditEvent[] } {
  const events: AuditEvent[] = [];
  return { events, record: (event) => Promise.resolve(void events.push(event)) };
}

function app(limit = 0, audit?: AuditSink) {
  const calls: unknown[][] = [];
  const hono = new Hono();
  hono.use(async (c, next) => {
    c.set('requestId' as never, 'request-1' as never);
    await next();
  });
  registerTokenRoutes(
    new RouteTable(hono),
    {
      accounts: {
        signIn: (...args) => {
          calls.push(args);
          return args[1] === 'right password'
            ? Promise.resolve(GRANT)
            : Promise.reject(new InvalidGrantError());
        },
        refresh: () => Promise.resolve(GRANT),
      },
      loginLimiter: new RateLimiter({ limit, windowMs: 60_000 }),
      clientAddress: () => '192.0.2.1',
    },
    audit,
  );
  const log = createLogger('silent');
  hono.onError((error, c) => problemResponse(error, c, log));
  const post = (body: string, type = 'application/x-www-form-urlencoded') =>
    hono.request('/auth/token', { method: 'POST', headers: { 'Content-Type': type }, body });
  return { post, calls };
}

describe('POST /auth/token', () => {
  it('answers a password grant with the RFC 6749 §5.1 JSON, not to be cached', async () => {
    const { post, calls } = app();
    const response = await post(
      'grant_type=password&username=alice&password=right+password&totp=123456',
    );
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toEqual({
      access_token: 'a.b.c',
      token_type: 'Bearer',
      expires_in: 900,
      refresh_token: 'r'.repeat(43),
    });
    expect(calls).toEqual([['alice', 'right password', '123456']]);
  });

  it('refuses a parameter given twice, another media type and a body over 8 KiB (invalid_request)', async () => {
    const { post } = app();
    for (const response of [
      await post('grant_type=password&username=a&username=b&password=x'),
      await post('{"grant_type":"password"}', 'application/json'),
      await post(`grant_type=password&username=a&password=${'x'.repeat(9000)}`),
    ]) {
      expect(response.status).toBe(400);
      expect(((await response.json()) as { code: string }).code).toBe('auth.invalid_request');
    }
  });

  it('counts password grants per client address; refresh grants are not counted', async () => {
    const { post } = app(2);
    expect((await post('grant_type=password&username=a&password=wrong')).status).toBe(400);
    expect((await post('grant_type=password&username=a&password=wrong')).status).toBe(400);
    expect((await post(`grant_type=refresh_token&refresh_token=${'r'.repeat(43)}`)).status).toBe(
      200,
    );
    const refused = await post('grant_type=password&username=a&password=right+password');
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('#12: records a sign-in as a User Authentication (Login) success with the account and roles', async () => {
    const sink = recorder();
    const { post } = app(0, sink);
    expect((await post('grant_type=password&username=Alice&password=right+password')).status).toBe(
      200,
    );
    expect(sink.events).toEqual([
      {
        type: 'user-authentication',
        subtype: 'login',
        action: 'E',
        outcome: 0,
        user: { id: 'alice', method: 'account', roles: ['reader', 'uploader'] },
        clientAddress: '192.0.2.1',
        requestId: 'request-1',
      },
    ]);
  });

  it('#12: records a refused sign-in (wrong password, too many attempts) as a minor failure with the name sent', async () => {
    const sink = recorder();
    const { post } = app(1, sink);
    expect((await post('grant_type=password&username=Mallory&password=guess')).status).toBe(400);
    expect((await post('grant_type=password&username=mallory&password=guess')).status).toBe(429);
    const refusal = (reason: string) => ({
      type: 'user-authentication',
      subtype: 'login',
      action: 'E',
      outcome: 4,
      user: { id: 'mallory', method: 'account', roles: [] },
      clientAddress: '192.0.2.1',
      requestId: 'request-1',
      detail: { reason },
    });
    expect(sink.events).toEqual([refusal('invalid-grant'), refusal('rate-limited')]); // address limit: no alert
  });

  it('#12: records nothing for a malformed request or a refresh grant', async () => {
    const sink = recorder();
    const { post } = app(0, sink);
    expect((await post('grant_type=password&username=alice')).status).toBe(400);
    expect((await post('grant_type=other')).status).toBe(400);
    expect((await post(`grant_type=refresh_token&refresh_token=${'r'.repeat(43)}`)).status).toBe(
      200,
    );
    expect(sink.events).toEqual([]);
  });

  it('#12: gives no token when the sign-in cannot be recorded (503)', async () => {
    const failing: AuditSink = { record: () => Promise.reject(new AuditUnavailableError()) };
    const { post } = app(0, failing);
    const response = await post('grant_type=password&username=alice&password=right+password');
    expect(response.status).toBe(503);
    expect(await response.text()).not.toContain('a.b.c');
  });
});

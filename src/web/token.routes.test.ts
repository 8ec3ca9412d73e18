import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { InvalidGrantError } from '../auth/errors.js';
import { RateLimiter } from '../auth/rate-limiter.js';
import type { TokenGrant } from '../auth/local-tokens.js';
import { createLogger } from '../lib/log.js';
import { RouteTable } from './access.js';
import { problemResponse } from './problem.js';
import { registerTokenRoutes } from './token.routes.js';

const GRANT: TokenGrant = {
  accessToken: 'a.b.c',
  tokenType: 'Bearer',
  expiresIn: 900,
  refreshToken: 'r'.repeat(43),
};

function app(limit = 0) {
  const calls: unknown[][] = [];
  const hono = new Hono();
  registerTokenRoutes(new RouteTable(hono), {
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
  });
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
});

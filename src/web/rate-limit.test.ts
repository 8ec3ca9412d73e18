import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { Authenticator } from '../auth/authenticate.js';
import { InvalidTokenError } from '../auth/errors.js';
import type { Principal } from '../auth/principal.js';
import { DEFAULT_ROLES } from '../auth/roles.js';
import { FakeClock } from '../lib/clock.js';
import { createLogger } from '../lib/log.js';
import { authenticate, RouteTable } from './access.js';
import { problemResponse } from './problem.js';
import { expensiveGate, isBroadSearch } from './rate-limit.js';

/** Two API-key principals (`strata_alice`, `strata_bob`) and anonymous readers. */
const apiKeys = {
  verify: (key: string): Promise<Principal> => {
    const id = key.slice('strata_'.length);
    if (!['alice', 'bob'].includes(id)) return Promise.reject(new InvalidTokenError('unknown'));
    return Promise.resolve({
      method: 'api-key',
      id,
      roles: ['reader'],
      actions: new Set(['read']),
    });
  },
};

function app(perMinute: number, clock = new FakeClock()) {
  const hono = new Hono();
  const authenticator = new Authenticator({
    apiKeys,
    claims: { rolesClaim: 'roles', patientClaim: 'patient', roleMap: DEFAULT_ROLES },
    anonymous: new Set(['read']),
  });
  hono.use(authenticate(authenticator));
  const table = new RouteTable(hono, { expensiveGate: expensiveGate({ perMinute, clock }) });
  const ok = () => new Response('ok');
  table.add('get', '/studies', { action: 'read', expensive: true }, ok);
  table.add('get', '/studies/:study/rendered', { action: 'read', expensive: true }, ok);
  table.add('get', '/studies/:study/metadata', 'read', ok);
  hono.onError((error, c) => problemResponse(error, c, createLogger('silent')));
  return hono;
}

const as = (who?: string): RequestInit =>
  who ? { headers: { Authorization: `Bearer strata_${who}` } } : {};

describe('expensive route gate', () => {
  it('#12: refuses the request over the limit with 429, Retry-After and problem+json', async () => {
    const gated = app(3);
    for (let i = 0; i < 3; i++) {
      expect((await gated.request('/studies/1.2/rendered', as('alice'))).status).toBe(200);
    }
    const refused = await gated.request('/studies/1.2/rendered', as('alice'));
    expect(refused.status).toBe(429);
    expect(refused.headers.get('content-type')).toBe('application/problem+json');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await refused.json()) as { code: string }).code).toBe('auth.rate_limited');
  });

  it('#12: counts each principal on its own, and anonymous requests by address', async () => {
    const gated = app(2);
    for (let i = 0; i < 2; i++) await gated.request('/studies/1.2/rendered', as('alice'));
    expect((await gated.request('/studies/1.2/rendered', as('alice'))).status).toBe(429);
    expect((await gated.request('/studies/1.2/rendered', as('bob'))).status).toBe(200);
    expect((await gated.request('/studies/1.2/rendered')).status).toBe(200);
  });

  it('lets the window pass, and leaves routes that are not expensive alone', async () => {
    const clock = new FakeClock();
    const gated = app(1, clock);
    await gated.request('/studies/1.2/rendered', as('alice'));
    expect((await gated.request('/studies/1.2/rendered', as('alice'))).status).toBe(429);
    expect((await gated.request('/studies/1.2/metadata', as('alice'))).status).toBe(200);
    clock.advance(60_001);
    expect((await gated.request('/studies/1.2/rendered', as('alice'))).status).toBe(200);
  });

  it('#12: counts broad searches only', async () => {
    const gated = app(1);
    for (let i = 0; i < 3; i++) {
      const narrow = await gated.request('/studies?PatientID=P1&limit=10', as('alice'));
      expect(narrow.status).toBe(200);
    }
    expect((await gated.request('/studies?limit=10&offset=0', as('alice'))).status).toBe(200);
    expect((await gated.request('/studies?includefield=all', as('alice'))).status).toBe(429);
  });

  it('no gate when the limit is 0', () => {
    expect(expensiveGate({ perMinute: 0 })).toBeUndefined();
  });
});

describe('isBroadSearch', () => {
  it.each([
    ['', true],
    ['limit=101&offset=0&fuzzymatching=false&includefield=00081030', true],
    ['PatientName=&StudyDate=', true], // empty = universal matching (PS3.4 C.2.2.2.3)
    ['PatientName=*', true],
    ['PatientName=DOE*', false],
    ['00100020=P1', false],
    ['StudyInstanceUID=1.2.3&limit=1', false],
  ])('%s → %s', (query, broad) => {
    expect(isBroadSearch(new URLSearchParams(query))).toBe(broad);
  });
});

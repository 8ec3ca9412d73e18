import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTieredServer, stowMany, tierOf, type TieredServer } from './helpers/hsm.js';
import { startTestServer, testDb, type TestServer } from './helpers/server.js';

const TOKEN = 'admin-token-for-tests-0123456789';
let server: TieredServer;
let plain: TestServer;

beforeAll(async () => {
  server = await startTieredServer(
    { policies: [{ from: 'hot', to: 'warm', afterDaysSinceStored: 0 }] },
    { ADMIN_TOKEN: TOKEN },
  );
  plain = await startTestServer();
});
afterAll(async () => {
  await server?.close();
  await plain?.close();
});

const call = (base: string, path: string, init: RequestInit = {}, token: string | null = TOKEN) =>
  fetch(`${base}/admin/hsm/${path}`, {
    ...init,
    headers: token === null ? {} : { Authorization: `Bearer ${token}` },
  });

const json = (response: Response): Promise<any> => response.json() as Promise<any>;

describe(`admin endpoints (${testDb})`, () => {
  it('#12: need the admin action: without credentials 401, even where anonymous may read', async () => {
    const response = await call(plain.url, 'stats', {}, null);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="strata"');
    expect((await json(response)).code).toBe('auth.unauthenticated');
  });

  it('refuse a missing or wrong bearer token with 401 problem+json', async () => {
    for (const token of [null]) {
      const response = await call(server.url, 'stats', {}, token);
      expect(response.status).toBe(401);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
      expect((await json(response)).code).toBe('auth.unauthenticated');
    }
    for (const token of ['admin-token-for-tests-0123456780', TOKEN + 'x', '']) {
      const response = await call(server.url, 'stats', {}, token);
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toContain('error="invalid_token"');
      expect(response.headers.get('content-type')).toContain('application/problem+json');
      expect((await json(response)).code).toBe('auth.invalid_token');
    }
    const run = await call(server.url, 'run', { method: 'POST' }, null);
    expect(run.status).toBe(401);
  });

  it('run a cycle, report tier statistics and the cycle history with the token', async () => {
    const all = await stowMany(server, 2);
    const before = await call(server.url, 'stats');
    expect(before.status).toBe(200);
    expect((await json(before)).tiers).toEqual([
      expect.objectContaining({ tier: 'hot', instances: 2, patients: 1 }),
    ]);

    const run = await call(server.url, 'run', { method: 'POST' });
    expect(run.status).toBe(200);
    expect(await json(run)).toMatchObject({
      trigger: 'admin',
      migrated: 2,
      failed: 0,
      transitions: [{ kind: 'policy', from: 'hot', to: 'warm', migrated: 2 }],
    });
    for (const i of all) expect(await tierOf(server, i.sopInstanceUid)).toBe('warm');

    const stats = await json(await call(server.url, 'stats'));
    expect(stats.tiers).toEqual([expect.objectContaining({ tier: 'warm', instances: 2 })]);
    expect(stats.totals).toMatchObject({ cycles: 1, migrated: 2 });
    const cycles = await json(await call(server.url, 'cycles?limit=5'));
    expect(cycles.cycles).toEqual([
      expect.objectContaining({ trigger: 'admin', migrated: 2, failed: 0 }),
    ]);
  });
});

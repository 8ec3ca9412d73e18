import { rename, writeFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './helpers/server.js';

/**
 * Liveness and readiness: /healthz says the process answers, /readyz that the index and every
 * storage tier do. (The index going away is in index-outage.test.ts: it needs PostgreSQL.)
 */
describe('health endpoints', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server?.close());

  const get = (path: string) => fetch(server.url + path, { signal: AbortSignal.timeout(20_000) });

  it('/readyz answers 200 listing the index and each tier when all answer', async () => {
    const response = await get('/readyz');
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toEqual({
      status: 'ready',
      checks: [
        { name: 'index', ok: true },
        { name: 'tier:fs', ok: true },
      ],
    });
  });

  it('/readyz answers 503 naming a tier whose directory is gone; /healthz stays 200', async () => {
    // Tests run as root here, so permissions cannot take a directory away: replace it instead,
    // as an unmounted or swapped volume would.
    const root = join(server.dataDir, 'blobs');
    await rename(root, root + '.away');
    await writeFile(root, 'not a directory');
    try {
      const response = await get('/readyz');
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBe('5');
      expect(await response.json()).toEqual({
        status: 'unavailable',
        checks: [
          { name: 'index', ok: true },
          { name: 'tier:fs', ok: false, code: 'storage.unavailable' },
        ],
      });
      expect((await get('/healthz')).status).toBe(200);
    } finally {
      await rm(root);
      await rename(root + '.away', root);
    }
    expect((await get('/readyz')).status).toBe(200);
  });
});

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runStrata, startChildServer } from './helpers/child-server.js';
import { makeInstance } from './helpers/make-dicom.js';
import { stow } from './helpers/multipart.js';
import { freshDatabase, testDb } from './helpers/server.js';

/**
 * `strata serve` refuses to expose an unauthenticated server beyond its own machine, and says
 * so at every start when anonymous access is on (README "Secure defaults").
 */
let dataDir: string;
let database: Awaited<ReturnType<typeof freshDatabase>>;
let env: Record<string, string>;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'strata-secure-'));
  database = await freshDatabase();
  env = {
    DATA_DIR: dataDir,
    SWEEP_INTERVAL_SECONDS: '0',
    ...(database.url ? { DATABASE_URL: database.url } : {}),
  };
});
afterAll(async () => {
  await database?.drop();
  await rm(dataDir, { recursive: true, force: true });
});

const records = (lines: string[]) =>
  lines.map((l) => JSON.parse(l) as { level: string; msg: string; [key: string]: unknown });

describe(`secure defaults (${testDb})`, () => {
  it('#12: HOST=0.0.0.0 without AUTH_METHODS or AUTH_ANONYMOUS exits 2 with a fatal line naming both', async () => {
    const run = await runStrata(['serve'], { ...env, HOST: '0.0.0.0' });
    expect(run.code, run.lines.join('\n')).toBe(2);
    const fatal = records(run.lines).find((r) => r.msg === 'configuration error');
    expect(fatal).toMatchObject({ level: 'error', variable: 'AUTH_METHODS' });
    expect(fatal?.['detail']).toMatch(/AUTH_METHODS/);
    expect(fatal?.['detail']).toMatch(/AUTH_ANONYMOUS/);
  });

  it('#12: TLS_CERT_FILE without TLS_KEY_FILE exits 2 naming TLS_KEY_FILE', async () => {
    const run = await runStrata(['serve'], { ...env, TLS_CERT_FILE: '/nonexistent/cert.pem' });
    expect(run.code, run.lines.join('\n')).toBe(2);
    expect(records(run.lines).find((r) => r.msg === 'configuration error')).toMatchObject({
      variable: 'TLS_KEY_FILE',
    });
  });

  it('#12: HOST=0.0.0.0 with AUTH_ANONYMOUS=read starts, warns at start, and serves reads only', async () => {
    const server = await startChildServer({ ...env, HOST: '0.0.0.0', AUTH_ANONYMOUS: 'read' });
    try {
      const warning = records(server.lines).find((r) => r.msg === 'anonymous access is on');
      expect(warning).toMatchObject({ level: 'warn', AUTH_ANONYMOUS: 'read' });
      const base = server.base.replace('0.0.0.0', '127.0.0.1');
      const search = await fetch(`${base}/studies`);
      await search.arrayBuffer();
      expect([200, 204]).toContain(search.status);
      // Anonymous may read but not write: 401 (credentials would help), not 403.
      expect((await stow(`${base}/studies`, [{ body: makeInstance().bytes }])).status).toBe(401);
    } finally {
      await server.stop();
    }
  });

  it('HOST=127.0.0.1 with nothing set starts as before, open to its own machine, without the warning', async () => {
    const server = await startChildServer({ ...env, HOST: '127.0.0.1' });
    try {
      expect(records(server.lines).some((r) => r.msg === 'anonymous access is on')).toBe(false);
      expect((await stow(`${server.base}/studies`, [{ body: makeInstance().bytes }])).status).toBe(
        200,
      );
    } finally {
      await server.stop();
    }
  });
});

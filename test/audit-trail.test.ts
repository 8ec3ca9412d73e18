import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadPseudonymKey, Pseudonyms } from '../src/audit/pseudonym.js';
import { AuditTrail } from '../src/audit/trail.js';
import { verifyAuditTrail } from '../src/audit/verify.js';
import { runCli } from '../src/cli/cli.js';
import { startStrata, type Strata } from '../src/compose.js';
import { loadConfig } from '../src/config/config.js';
import { openDb } from '../src/index/db.js';
import { createLogger } from '../src/lib/log.js';
import { freshDatabase, testDb } from './helpers/server.js';

/**
 * The audit trail through the real server: its own start and stop, failed credentials,
 * GET /admin/audit for admins only, and `strata audit verify` on what the server wrote.
 */

const ADMIN_TOKEN = 'audit-admin-token-0123456789';
let dataDir: string;
let database: Awaited<ReturnType<typeof freshDatabase>>;
let env: Record<string, string>;
let server: Strata | undefined;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'strata-audit-'));
  database = await freshDatabase();
  env = {
    HOST: '127.0.0.1',
    PORT: '0',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    SWEEP_INTERVAL_SECONDS: '0',
    ADMIN_TOKEN,
    // Nothing without credentials: an admin route answers 401, not the loopback default's 403.
    AUTH_ANONYMOUS: 'none',
    ...(database.url ? { DATABASE_URL: database.url } : {}),
  };
  server = await startStrata(loadConfig(env), { log: createLogger('silent') });
});
afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
});
afterAll(async () => {
  await server?.close();
  await database?.drop();
  await rm(dataDir, { recursive: true, force: true });
});

const admin = { Authorization: `Bearer ${ADMIN_TOKEN}` };

async function search(query: string): Promise<any[]> {
  const res = await fetch(`${server!.url}/admin/audit?${query}`, { headers: admin });
  expect(res.status).toBe(200);
  return ((await res.json()) as { records: any[] }).records;
}

/** Runs the CLI in this process with the server's settings; its output lines and exit code. */
async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((line: string) => void out.push(line));
  vi.spyOn(console, 'error').mockImplementation((line: string) => void err.push(line));
  const code = await runCli(args);
  vi.restoreAllMocks();
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** A statement on the index the server used (after it closed, for PGlite's directory lock). */
async function tamper(statement: string): Promise<void> {
  if (database.url) {
    const sql = postgres(database.url, { max: 1, onnotice: () => {} });
    await sql.unsafe(statement);
    await sql.end();
    return;
  }
  const index = await openDb({ pgliteDir: join(dataDir, 'index') });
  if (index.raw.driver === 'pglite') await index.raw.client.exec(statement);
  await index.close();
}

describe(`#12: audit trail (${testDb})`, () => {
  it('#12: records the application start', async () => {
    const [start] = await search('event=110100');
    expect(start).toMatchObject({
      eventId: '110100',
      eventType: '110120',
      action: 'E',
      outcome: 0,
    });
  });

  it('#12: GET /admin/audit answers 401 without credentials, 200 with the admin token', async () => {
    const res = await fetch(`${server!.url}/admin/audit`);
    expect(res.status).toBe(401);
    expect((await fetch(`${server!.url}/admin/audit`, { headers: admin })).status).toBe(200);
  });

  it('#12: filters by patient, study, user, event, time and pages with before', async () => {
    const trail = server!.audit.trail;
    const user = { id: 'carol', method: 'api-key', roles: ['reader'] };
    await trail.record({
      type: 'instances-accessed',
      action: 'R',
      outcome: 0,
      user,
      patient: { patientId: 'AUDIT-P1', studyUids: ['1.2.826.0.1.3680043.99.1'] },
    });
    await trail.record({
      type: 'instances-accessed',
      action: 'R',
      outcome: 0,
      user,
      patient: { patientId: 'AUDIT-P2', studyUids: ['1.2.826.0.1.3680043.99.2'] },
    });
    await trail.record({ type: 'query', action: 'E', outcome: 0, user: { ...user, id: 'dave' } });

    const byPatient = await search('patientId=AUDIT-P1');
    expect(byPatient).toHaveLength(1);
    expect(byPatient[0].userId).toBe('carol');
    expect(JSON.stringify(byPatient)).not.toContain('AUDIT-P1');
    expect(await search('studyUid=1.2.826.0.1.3680043.99.2')).toHaveLength(1);
    expect((await search('user=carol')).map((r) => r.eventId)).toEqual(['110103', '110103']);
    expect((await search('user=dave&event=110112')).length).toBe(1);
    expect(await search('user=carol&from=2999-01-01')).toEqual([]);
    expect(
      await search(`user=carol&to=${encodeURIComponent(new Date().toISOString())}`),
    ).toHaveLength(2);
    const newest = await search('user=carol&limit=1');
    expect(newest).toHaveLength(1);
    const older = await search(`user=carol&limit=1&before=${newest[0].seq}`);
    expect(older[0].seq).toBeLessThan(newest[0].seq);

    const bad = await fetch(`${server!.url}/admin/audit?limit=5000`, { headers: admin });
    expect(bad.status).toBe(400);
  });

  it('#12: an invalid bearer token is answered 401 and recorded as a failed User Authentication', async () => {
    const res = await fetch(`${server!.url}/dicom-web/studies`, {
      headers: { Authorization: 'Bearer x.y.z' },
    });
    expect(res.status).toBe(401);
    const [record] = await search('event=110114');
    expect(record).toMatchObject({
      eventId: '110114',
      outcome: 4,
      userId: null,
      clientAddress: expect.stringContaining('127.0.0.1'),
      requestId: res.headers.get('X-Request-Id'),
      detail: { reason: 'malformed' },
    });
  });

  it('#12: two nodes sharing the index append into one unbroken chain', async () => {
    // On PostgreSQL each "node" has its own connection pool; PGlite has one process only.
    const pools = database.url
      ? await Promise.all([1, 2].map(() => openDb({ url: database.url, maxConnections: 4 })))
      : [];
    const dbs =
      pools.length > 0 ? pools.map((p) => p.db) : [server!.database.db, server!.database.db];
    const key = await loadPseudonymKey({ configured: undefined, dataDir });
    const trails = dbs.map(
      (db) =>
        new AuditTrail({
          db,
          pseudonyms: new Pseudonyms(key),
          log: createLogger('silent'),
          retentionDays: 30,
        }),
    );
    try {
      await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          trails[i % 2]!.record({ type: 'query', action: 'E', outcome: 0, detail: { i } }),
        ),
      );
      expect(await verifyAuditTrail(server!.database.db)).toMatchObject({ ok: true });
    } finally {
      for (const trail of trails) await trail.close();
      for (const pool of pools) await pool.close();
    }
  });

  it('#12: strata audit verify passes on what the server wrote, with its stop, and names a tampered record', async () => {
    await server!.close();
    server = undefined;
    const intact = await cli(['audit', 'verify']);
    expect(intact.code, intact.err).toBe(0);
    expect(intact.out).toMatch(/audit trail intact: \d+ records/);

    const stops = await cli(['audit', 'search', '--event', '110100']);
    expect(stops.code).toBe(0);
    const events = stops.out.split('\n').map((line) => JSON.parse(line));
    expect(events.map((e) => e.eventType)).toEqual(['110121', '110120']);

    await tamper(`update audit_log set user_id = 'mallory' where seq = 2`);
    const broken = await cli(['audit', 'verify']);
    expect(broken.code).toBe(1);
    expect(broken.err).toContain('record 2 (edited)');
  });
});

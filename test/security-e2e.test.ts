import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCli } from '../src/cli/cli.js';
import { keysCommand } from '../src/cli/keys.js';
import { usersCommand } from '../src/cli/users.js';
import { startStrata, type Strata } from '../src/compose.js';
import { loadConfig } from '../src/config/config.js';
import { createLogger } from '../src/lib/log.js';
import { makeInstance } from './helpers/make-dicom.js';
import { stow } from './helpers/multipart.js';
import { freshDatabase, testDb } from './helpers/server.js';

/**
 * #12 end to end, as a site would run it: credentials made with the `strata keys` and
 * `strata users` commands, then the real server with API keys and built-in accounts (no
 * anonymous access) and an ADMIN_TOKEN. A modality stores with an uploader key, a user signs in
 * and searches, a reader key cannot delete while an editor can, and the audit trail shows the
 * sign-ins and the refused credentials field by field, then verifies as an unbroken chain.
 */

const ADMIN_TOKEN = 'security-e2e-admin-token-0123456789';
const PASSWORD = 'a long and careful passphrase';
const study = makeInstance({ patientName: 'Secure^Study', patientId: 'SEC-1' });

let dataDir: string;
let database: Awaited<ReturnType<typeof freshDatabase>>;
let env: Record<string, string>;
let server: Strata | undefined;
const keys: Record<string, string> = {};

/** `strata keys create`: the key, as the command prints it alone on stdout. */
async function createKey(name: string, role: string): Promise<string> {
  const out: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((line: string) => void out.push(line));
  vi.spyOn(console, 'error').mockImplementation(() => {});
  try {
    const code = await keysCommand(loadConfig(env), ['create', '--name', name, '--role', role]);
    expect(code).toBe(0);
  } finally {
    vi.restoreAllMocks();
  }
  expect(out).toHaveLength(1);
  return out[0]!;
}

/** `strata users add <name> --role <role> --password-stdin`. */
async function addUser(name: string, role: string): Promise<void> {
  const err: string[] = [];
  const code = await usersCommand(
    loadConfig(env),
    ['add', name, '--role', role, '--password-stdin'],
    { log: createLogger('silent') },
    {
      readStdin: () => Promise.resolve(`${PASSWORD}\n`),
      out: () => {},
      err: (text) => void err.push(text),
    },
  );
  expect(code, err.join('')).toBe(0);
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'strata-security-'));
  database = await freshDatabase();
  env = {
    HOST: '127.0.0.1',
    PORT: '0',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    SWEEP_INTERVAL_SECONDS: '0',
    AUTH_METHODS: 'api-key,account',
    ADMIN_TOKEN,
    ...(database.url ? { DATABASE_URL: database.url } : {}),
  };
  // Before the server starts: the embedded PGlite index allows one process at a time.
  keys['modality'] = await createKey('ct-modality', 'uploader');
  keys['reader'] = await createKey('report-script', 'reader');
  await addUser('rita', 'reader');
  await addUser('eddie', 'editor');
  server = await startStrata(loadConfig(env), { log: createLogger('silent') });
}, 120_000);
afterAll(async () => {
  await server?.close();
  await database?.drop();
  await rm(dataDir, { recursive: true, force: true });
});

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

async function signIn(username: string, password = PASSWORD) {
  const response = await fetch(`${server!.url}/auth/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'password', username, password }),
  });
  return {
    status: response.status,
    requestId: response.headers.get('X-Request-Id'),
    body: (await response.json()) as Record<string, any>,
  };
}

function qido(headers: Record<string, string> = {}) {
  return fetch(`${server!.url}/dicom-web/studies`, {
    headers: { Accept: 'application/dicom+json', ...headers },
  });
}

function deleteStudy(headers: Record<string, string>) {
  return fetch(`${server!.url}/dicom-web/studies/${study.studyInstanceUid}`, {
    method: 'DELETE',
    headers,
  });
}

/** The User Authentication records (110114) of the trail, newest first, via GET /admin/audit. */
async function authenticationRecords(): Promise<any[]> {
  const response = await fetch(`${server!.url}/admin/audit?event=110114`, {
    headers: bearer(ADMIN_TOKEN),
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { records: any[] }).records;
}

/** Request ids of the exchanges whose records the audit checks look for. */
const seen = { ritaSignIn: '', eddieSignIn: '', wrongPassword: '', invalidKey: '' };

describe(`#12: security end to end (${testDb})`, () => {
  it('#12: an uploader API key stores a study (STOW 200); the same request without a key is 401', async () => {
    const refused = await stow(`${server!.url}/dicom-web/studies`, [{ body: study.bytes }]);
    expect(refused.status).toBe(401);
    const stored = await stow(`${server!.url}/dicom-web/studies`, [{ body: study.bytes }], {
      headers: bearer(keys['modality']!),
    });
    expect(stored.status).toBe(200);
  });

  it('#12: an account user signs in at /auth/token and searches with the token; nothing without it', async () => {
    const rita = await signIn('rita');
    expect(rita.status).toBe(200);
    expect(rita.body).toMatchObject({ token_type: 'Bearer', access_token: expect.any(String) });
    seen.ritaSignIn = rita.requestId!;

    const found = await qido(bearer(rita.body.access_token));
    expect(found.status).toBe(200);
    const studies = (await found.json()) as Record<string, { Value?: unknown[] }>[];
    expect(studies.map((s) => s['0020000D']?.Value?.[0])).toEqual([study.studyInstanceUid]);
    expect((await qido()).status).toBe(401);
  });

  it('#12: a reader API key cannot delete (403); an editor account can (204), and the study is gone', async () => {
    const byReader = await deleteStudy(bearer(keys['reader']!));
    expect(byReader.status).toBe(403);
    expect(((await byReader.json()) as { code: string }).code).toBe('auth.forbidden');

    const eddie = await signIn('eddie');
    expect(eddie.status).toBe(200);
    seen.eddieSignIn = eddie.requestId!;
    expect((await deleteStudy(bearer(eddie.body.access_token))).status).toBe(204);

    // PS3.18 8.3.4.4.1 (QIDO): no match is 204 No Content.
    expect((await qido(bearer(keys['reader']!))).status).toBe(204);
  });

  it('#12: a wrong password is 400 invalid_grant; an unknown API key is 401', async () => {
    const wrong = await signIn('rita', 'not the passphrase at all');
    expect(wrong.status).toBe(400);
    expect(wrong.body['code']).toBe('auth.invalid_grant');
    seen.wrongPassword = wrong.requestId!;

    const invalid = await qido(bearer(`strata_${'A'.repeat(43)}`));
    expect(invalid.status).toBe(401);
    expect(invalid.headers.get('WWW-Authenticate')).toMatch(/error="invalid_token"/);
    seen.invalidKey = invalid.headers.get('X-Request-Id')!;
  });

  it('#12: GET /admin/audit shows the sign-ins and the refusals, field by field', async () => {
    const records = await authenticationRecords();
    const byRequest = (id: string) => {
      const matching = records.filter((r) => r.requestId === id);
      expect(matching, `one record for request ${id}`).toHaveLength(1);
      return matching[0];
    };
    const login = { eventId: '110114', eventType: '110122', action: 'E' };

    expect(byRequest(seen.ritaSignIn)).toMatchObject({
      ...login,
      outcome: 0,
      userId: 'rita',
      userMethod: 'account',
      userRoles: ['reader'],
      clientAddress: '127.0.0.1',
      detail: null,
    });
    expect(byRequest(seen.eddieSignIn)).toMatchObject({
      ...login,
      outcome: 0,
      userId: 'eddie',
      userMethod: 'account',
      userRoles: ['editor'],
      clientAddress: '127.0.0.1',
    });
    expect(byRequest(seen.wrongPassword)).toMatchObject({
      ...login,
      outcome: 4,
      userId: 'rita',
      userMethod: 'account',
      userRoles: [],
      clientAddress: '127.0.0.1',
      detail: { reason: 'invalid-grant' },
    });
    // An unknown key names nobody: no user, the reason for the operator only.
    expect(byRequest(seen.invalidKey)).toMatchObject({
      ...login,
      outcome: 4,
      userId: null,
      userMethod: null,
      clientAddress: '127.0.0.1',
      detail: { reason: 'api-key-unknown' },
    });
    // Nothing of the credentials themselves reaches the trail.
    const text = JSON.stringify(records);
    for (const secret of [PASSWORD, 'not the passphrase at all', keys['reader']!, 'AAAAAAAAAA']) {
      expect(text).not.toContain(secret);
    }
  });

  it('#12: behind a reverse proxy (TRUSTED_PROXIES, default loopback), records name the client it forwards for', async () => {
    const forwarded = { 'X-Forwarded-For': '203.0.113.7' };
    const response = await fetch(`${server!.url}/auth/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...forwarded },
      body: new URLSearchParams({ grant_type: 'password', username: 'rita', password: PASSWORD }),
    });
    expect(response.status).toBe(200);
    const invalid = await qido({ ...forwarded, ...bearer(`strata_${'B'.repeat(43)}`) });
    expect(invalid.status).toBe(401);

    const records = await authenticationRecords();
    const addressOf = (id: string | null) => records.find((r) => r.requestId === id)?.clientAddress;
    expect(addressOf(response.headers.get('X-Request-Id'))).toBe('203.0.113.7');
    expect(addressOf(invalid.headers.get('X-Request-Id'))).toBe('203.0.113.7');
  });

  it('#12: strata audit verify passes on what the server wrote', async () => {
    if (database.url) {
      // PostgreSQL: beside the running server, as an operator would check a live site.
      expect(await verify()).toMatchObject({ code: 0 });
    }
    await server!.close();
    server = undefined;
    const result = await verify();
    expect(result.code, result.err).toBe(0);
    expect(result.out).toMatch(/audit trail intact: \d+ records/);
  });
});

/** `strata audit verify` in this process with the server's settings. */
async function verify(): Promise<{ code: number; out: string; err: string }> {
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((line: string) => void out.push(line));
  vi.spyOn(console, 'error').mockImplementation((line: string) => void err.push(line));
  try {
    const code = await runCli(['audit', 'verify']);
    return { code, out: out.join('\n'), err: err.join('\n') };
  } finally {
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
  }
}

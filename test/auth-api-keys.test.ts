import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeys } from '../src/auth/api-keys.js';
import { DEFAULT_ROLES } from '../src/auth/roles.js';
import { apiKeys } from '../src/index/schema.js';
import { createLogger } from '../src/lib/log.js';
import { makeInstance } from './helpers/make-dicom.js';
import { stow } from './helpers/multipart.js';
import { freshDatabase, startTestServer, testDb, type TestServer } from './helpers/server.js';

/**
 * API keys end to end: made with the real `strata keys` command (a child process, as an
 * operator runs it: stdout and stderr apart, exit codes), used over HTTP against the real
 * server. The embedded PGlite index allows one process per data directory, so the keys are made
 * before the server starts (as on a single-node install); while it runs, the command is refused
 * (exit 2) and a revocation goes through the server's own index handle instead. With
 * PostgreSQL the command runs beside the server, as it would in production.
 */

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const CACHE_SECONDS = 1;

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `strata …` in a child process with these variables. */
function strata(args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

/** Polls `check` until it returns true, or fails naming `what` after `ms`. */
async function eventually(what: string, ms: number, check: () => Promise<boolean>) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const KEYS = { 'ct-uploader': 'uploader', 'viewer-script': 'reader', 'old-gateway': 'writer' };
type KeyName = keyof typeof KEYS;

let dataDir: string;
let database: Awaited<ReturnType<typeof freshDatabase>>;
let env: Record<string, string>;
let server: TestServer | undefined;
const created = {} as Record<KeyName, Run>;
const key = (name: KeyName) => created[name].stdout.trim();

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'strata-keys-'));
  database = await freshDatabase();
  env = {
    DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    AUTH_METHODS: 'api-key',
    AUTH_API_KEY_CACHE_SECONDS: String(CACHE_SECONDS),
    ...(database.url ? { DATABASE_URL: database.url } : {}),
  };
  for (const [name, role] of Object.entries(KEYS)) {
    created[name as KeyName] = await strata(
      ['keys', 'create', '--name', name, '--role', role],
      env,
    );
  }
  server = await startTestServer(env);
}, 300_000);

afterAll(async () => {
  await server?.close();
  await database?.drop();
  await rm(dataDir, { recursive: true, force: true });
});

function get(path: string, token: string) {
  return fetch(`${server!.base}${path}`, {
    headers: { Accept: 'application/dicom+json', Authorization: `Bearer ${token}` },
  });
}

async function problemOf(response: Response) {
  return { status: response.status, body: (await response.json()) as any };
}

describe(`#12: API keys (${testDb})`, () => {
  it('#12: keys create prints the key alone on stdout, once, and says so on stderr', () => {
    for (const name of Object.keys(KEYS) as KeyName[]) {
      const run = created[name];
      expect(run.status, run.stderr).toBe(0);
      expect(run.stdout).toMatch(/^strata_[A-Za-z0-9_-]{43}\n$/);
      expect(run.stderr).toContain('will not be shown again');
      expect(run.stderr).not.toContain(key(name));
    }
  });

  it('#12: an uploader key stores (STOW 200) and cannot search (QIDO 403)', async () => {
    const instance = makeInstance();
    const stored = await stow(`${server!.base}/studies`, [{ body: instance.bytes }], {
      headers: { Authorization: `Bearer ${key('ct-uploader')}` },
    });
    expect(stored.status).toBe(200);
    const search = await get('/studies', key('ct-uploader'));
    expect(search.status).toBe(403);
    expect(((await search.json()) as any).code).toBe('auth.forbidden');
  });

  it('#12: a reader key searches (QIDO 200) and cannot store (STOW 403)', async () => {
    const search = await get('/studies', key('viewer-script'));
    expect(search.status).toBe(200);
    expect(await search.json()).toHaveLength(1);
    const stored = await stow(`${server!.base}/studies`, [{ body: makeInstance().bytes }], {
      headers: { Authorization: `Bearer ${key('viewer-script')}` },
    });
    expect(stored.status).toBe(403);
  });

  it('#12: an unknown key is 401 invalid_token with a Bearer challenge', async () => {
    const response = await get('/studies', 'strata_' + 'Q'.repeat(43));
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(
      /^Bearer realm="strata", error="invalid_token"/,
    );
    expect(((await response.json()) as any).code).toBe('auth.invalid_token');
  });

  it('#12: a revoked key is refused within AUTH_API_KEY_CACHE_SECONDS, like an unknown one', async () => {
    expect((await get('/studies', key('old-gateway'))).status).toBe(200);
    const revoke = await strata(['keys', 'revoke', 'old-gateway'], env);
    if (testDb === 'postgres') {
      expect(revoke.status, revoke.stderr).toBe(0);
      expect(revoke.stdout).toContain('revoked "old-gateway"');
    } else {
      // One process per PGlite directory: the command is refused while the server holds it.
      expect(revoke.status).toBe(2);
      expect(revoke.stderr).toContain('is in use by another process');
      // A second ApiKeys over the server's own index handle does not share the server's cache,
      // so the cache TTL governs the server's view exactly as after a revocation elsewhere.
      const elsewhere = new ApiKeys({
        db: server!.database.db,
        roles: DEFAULT_ROLES,
        log: createLogger('silent'),
      });
      expect(await elsewhere.revoke('old-gateway')).toHaveLength(1);
    }
    let refused: Response | undefined;
    await eventually('the revoked key refused', CACHE_SECONDS * 1000 + 10_000, async () => {
      const response = await get('/studies', key('old-gateway'));
      if (response.status === 200) return false;
      refused = response;
      return true;
    });
    const unknown = await problemOf(await get('/studies', 'strata_' + 'Q'.repeat(43)));
    const revoked = await problemOf(refused!);
    expect(revoked.status).toBe(401);
    expect(revoked.body.code).toBe('auth.invalid_token');
    expect(revoked.body.detail).toBe(unknown.body.detail);
  });

  it('#12: last_used_at is recorded for keys in use', async () => {
    const lastUsed = async (name: string) =>
      (await server!.database.db.select().from(apiKeys).where(eq(apiKeys.name, name)))[0]
        ?.lastUsedAt;
    await eventually('last_used_at of the uploader', 15_000, async () =>
      Boolean(await lastUsed('ct-uploader')),
    );
    expect(await lastUsed('viewer-script')).toBeInstanceOf(Date);
  });

  it('#12: the database holds no key, only its SHA-256', async () => {
    const rows = await server!.database.db.execute(sql`select api_keys::text as row from api_keys`);
    const dump = JSON.stringify(rows);
    const hashes = (await server!.database.db.select().from(apiKeys)).map((r) => r.secretHash);
    for (const name of Object.keys(KEYS) as KeyName[]) {
      // The first 12 characters are the stored display prefix; the rest is secret.
      expect(dump).not.toContain(key(name).slice(12));
      expect(hashes).toContain(createHash('sha256').update(key(name)).digest('hex'));
    }
  });

  it('#12: keys list shows every key, its role, prefix, use and revocation, never the secret', async () => {
    // PGlite: the command needs the data directory, so the server stops first.
    if (testDb === 'pglite') {
      await server!.close();
      server = undefined;
    }
    const table = await strata(['keys', 'list'], env);
    expect(table.status, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/^NAME\s+ROLE\s+PREFIX\s+CREATED\s+LAST USED\s+REVOKED/);
    const json = await strata(['keys', 'list', '--json'], env);
    expect(json.status, json.stderr).toBe(0);
    const listed = json.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(listed.map((k) => [k.name, k.role])).toEqual(Object.entries(KEYS));
    const byName = Object.fromEntries(listed.map((k) => [k.name, k]));
    expect(byName['old-gateway'].revokedAt).toEqual(expect.any(String));
    expect(byName['ct-uploader'].revokedAt).toBeNull();
    expect(byName['ct-uploader'].lastUsedAt).toEqual(expect.any(String));
    for (const name of Object.keys(KEYS) as KeyName[]) {
      expect(table.stdout).toContain(name);
      expect(table.stdout).toContain(key(name).slice(0, 12));
      for (const output of [table.stdout, json.stdout]) {
        expect(output).not.toContain(key(name).slice(12));
        expect(output).not.toContain(createHash('sha256').update(key(name)).digest('hex'));
      }
    }
  });

  it('#12: keys revoke of no live key exits 1; create with an unknown role exits 1 naming the roles', async () => {
    if (server && testDb === 'pglite') {
      await server.close();
      server = undefined;
    }
    const again = await strata(['keys', 'revoke', 'old-gateway'], env);
    expect(again.status).toBe(1);
    expect(again.stderr).toContain('no live key');
    const bad = await strata(['keys', 'create', '--name', 'x', '--role', 'superuser'], env);
    expect(bad.status).toBe(1);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(/unknown role "superuser".*uploader/);
  });
});

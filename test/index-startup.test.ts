import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, Socket, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startChildServer } from './helpers/child-server.js';
import { freshDatabase } from './helpers/server.js';

/**
 * Start-up against a PostgreSQL that is not there yet, in a real `strata serve` process: it
 * waits (DATABASE_CONNECT_RETRY_SECONDS) and serves once the database comes, exits non-zero
 * with a clear message when it never does, and exits 2 at once on a refusal waiting cannot fix.
 */
const enabled = process.env['STRATA_TEST_DB'] === 'postgres';
const ROOT = fileURLToPath(new URL('../', import.meta.url));

/** A free local port with nothing listening on it (yet). */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as { port: number }).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/** Forwards `port` to PostgreSQL, from when it is called: the database "comes up". */
async function relay(port: number, target: URL): Promise<Server> {
  const server = createServer((client) => {
    const upstream = new Socket().connect(Number(target.port || 5432), target.hostname);
    for (const s of [client, upstream]) s.on('error', () => s.destroy());
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return server;
}

/** Runs `strata serve` to its exit (deadline 60 s); its exit code and output. */
function serveUntilExit(env: Record<string, string>) {
  return new Promise<{ code: number | null; output: string }>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'serve'], {
      cwd: ROOT,
      env: { ...process.env, LOG_LEVEL: 'info', PORT: '0', HOST: '127.0.0.1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const deadline = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`strata serve did not exit within 60 s:\n${output}`));
    }, 60_000);
    child.once('exit', (code) => {
      clearTimeout(deadline);
      resolve({ code, output });
    });
  });
}

describe.runIf(enabled)('index start-up (postgres)', () => {
  let database: Awaited<ReturnType<typeof freshDatabase>>;
  let dataDir: string;
  beforeAll(async () => {
    database = await freshDatabase();
    dataDir = await mkdtemp(join(tmpdir(), 'strata-startup-'));
  });
  afterAll(async () => {
    await database?.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  const through = (port: number, pathname = new URL(database.url!).pathname) => {
    const url = new URL(database.url!);
    url.hostname = '127.0.0.1';
    url.port = String(port);
    url.pathname = pathname;
    url.password = 'not-logged';
    return url.toString();
  };

  it('waits for a database that comes up late, then serves', async () => {
    const port = await freePort();
    let late: Promise<Server> | undefined;
    try {
      // The database comes up once the server has met it down and said it waits.
      const server = await startChildServer(
        { DATA_DIR: dataDir, DATABASE_URL: through(port), DATABASE_CONNECT_RETRY_SECONDS: '30' },
        {
          onLine: (line) => {
            if (line.includes('index not reachable yet'))
              late ??= relay(port, new URL(database.url!));
          },
        },
      );
      try {
        const waits = server.lines.filter((l) => l.includes('index not reachable yet'));
        expect(waits.length).toBeGreaterThan(0);
        expect(JSON.parse(waits[0]!)).toMatchObject({
          level: 'warn',
          code: 'ECONNREFUSED',
          attempt: 1,
        });
        // Neither the URL nor its password is ever logged.
        expect(server.lines.join('\n')).not.toMatch(/not-logged|postgres:\/\//);
        const response = await fetch(new URL('/readyz', server.base), {
          signal: AbortSignal.timeout(20_000),
        });
        expect(response.status).toBe(200);
      } finally {
        await server.stop();
      }
    } finally {
      const server = await late;
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    }
  });

  it('exits non-zero with a clear message when the database never comes', async () => {
    const { code, output } = await serveUntilExit({
      DATA_DIR: dataDir,
      DATABASE_URL: through(await freePort()),
      DATABASE_CONNECT_RETRY_SECONDS: '2',
    });
    expect(code).toBe(1);
    // serve writes JSON lines only; the last says why it stops.
    const fatal = JSON.parse(output.trim().split('\n').at(-1)!) as {
      msg: string;
      code: string;
      error: { cause?: { code?: string } };
    };
    expect(fatal.msg).toMatch(/the index database could not be reached/);
    expect(fatal.msg).toContain('DATABASE_CONNECT_RETRY_SECONDS');
    expect(fatal.code).toBe('index.unavailable');
    expect(fatal.error.cause?.code).toBe('ECONNREFUSED');
    expect(output).not.toContain('not-logged');
  });

  it('exits 2 at once when the database does not exist (a configuration error)', async () => {
    const port = Number(new URL(database.url!).port || 5432);
    const { code, output } = await serveUntilExit({
      DATA_DIR: dataDir,
      DATABASE_URL: through(port, '/strata_no_such_database'),
      DATABASE_CONNECT_RETRY_SECONDS: '60',
    });
    expect(code).toBe(2);
    const fatal = JSON.parse(output.trim().split('\n').at(-1)!) as Record<string, string>;
    expect(fatal).toMatchObject({ msg: 'configuration error', variable: 'DATABASE_URL' });
    expect(fatal['detail']).toMatch(/does not exist \(SQLSTATE 3D000\)/);
    expect(output).not.toContain('index not reachable yet');
  });
});

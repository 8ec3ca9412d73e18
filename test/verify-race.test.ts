import { spawn } from 'node:child_process';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newBlobKey } from '../src/storage/keys.js';
import { keysIn } from './helpers/hsm.js';
import { makeInstance, type GeneratedInstance } from './helpers/make-dicom.js';
import { stow } from './helpers/multipart.js';
import { startTestServer, testDb, type TestServer } from './helpers/server.js';

/**
 * `strata verify --remove-orphans` racing STOW on PostgreSQL (several processes, one database and
 * one fs tier): orphan removal must never delete the blob of an upload in flight or of a commit
 * that landed after the listing. On PGlite the data directory lock forbids the race (see
 * data-dir-lock.test.ts), so this runs on PostgreSQL only.
 */
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const CLIENTS = 3;
const VERIFY_RUNS = 2;
/** Per client: bounds the loop if the verify runs are slow. */
const MAX_PER_CLIENT = 80;

let server: TestServer;
beforeAll(async () => {
  if (testDb === 'postgres') server = await startTestServer();
});
afterAll(async () => {
  await server?.close();
});

/** Runs the CLI as a real child process without blocking this process's server. */
function strataCli(
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', ...args], {
    cwd: ROOT,
    env: { ...process.env, ...server.env, LOG_LEVEL: 'silent' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const deadline = setTimeout(() => child.kill('SIGKILL'), 180_000);
  return new Promise((resolve) =>
    child.once('close', (code) => {
      clearTimeout(deadline);
      resolve({ code, stdout, stderr });
    }),
  );
}

describe.skipIf(testDb !== 'postgres')('verify --remove-orphans racing STOW (postgres)', () => {
  it('loses no acknowledged instance, and still removes a real orphan', async () => {
    const orphan = newBlobKey();
    await server.store.put(orphan, Readable.from([Buffer.from('referenced by nothing')]));

    const acknowledged: GeneratedInstance[] = [];
    let stop = false;
    const client = async () => {
      for (let n = 0; n < MAX_PER_CLIENT && !stop; n++) {
        const instance = makeInstance();
        const r = await stow(`${server.base}/studies`, [{ body: instance.bytes }]);
        expect(r.status).toBe(200);
        acknowledged.push(instance);
      }
    };
    const clients = Array.from({ length: CLIENTS }, client);

    const reports: { orphansRemoved: number }[] = [];
    try {
      for (let run = 0; run < VERIFY_RUNS; run++) {
        const verify = await strataCli(['verify', '--remove-orphans', '--no-checksums']);
        expect([0, 1], verify.stderr).toContain(verify.code);
        reports.push(JSON.parse(verify.stdout) as { orphansRemoved: number });
      }
    } finally {
      stop = true;
      await Promise.all(clients);
    }

    expect(reports.reduce((n, r) => n + r.orphansRemoved, 0)).toBe(1);
    expect(await keysIn(server.store)).not.toContain(orphan);
    expect(acknowledged.length).toBeGreaterThan(CLIENTS);
    for (const i of acknowledged) {
      const r = await fetch(
        `${server.base}/studies/${i.studyInstanceUid}/series/${i.seriesInstanceUid}/instances/${i.sopInstanceUid}`,
        { headers: { Accept: 'application/dicom' } },
      );
      expect(r.status).toBe(200);
      expect(Buffer.from(await r.arrayBuffer()).equals(i.bytes)).toBe(true);
    }
  }, 600_000);
});

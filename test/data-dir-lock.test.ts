import { spawnSync } from 'node:child_process';
import { access, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blobPath } from '../src/storage/fs-paths.js';
import { newBlobKey } from '../src/storage/keys.js';
import { startChildServer } from './helpers/child-server.js';
import { makeInstance } from './helpers/make-dicom.js';
import { stow } from './helpers/multipart.js';
import { testDb } from './helpers/server.js';

/**
 * The embedded PGlite index is single-process: every command that opens DATA_DIR takes its lock,
 * and a second process is refused with exit 2 before it touches anything. (With DATABASE_URL
 * there is no lock: several processes are the supported deployment.)
 */
const ROOT = fileURLToPath(new URL('../', import.meta.url));
let dataDir: string;
const env = () => ({ DATA_DIR: dataDir, LOG_LEVEL: 'info', SWEEP_INTERVAL_SECONDS: '0' });

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'strata-lock-'));
});
afterAll(() => rm(dataDir, { recursive: true, force: true }));

function strataCli(args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts', ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env() },
    encoding: 'utf8',
    timeout: 120_000,
  });
}

describe.skipIf(testDb !== 'pglite')('one process per PGlite data directory', () => {
  it('a second serve and a verify --remove-orphans exit 2 naming the holder; data intact', async () => {
    const server = await startChildServer(env());
    try {
      const kept = makeInstance();
      expect((await stow(`${server.base}/studies`, [{ body: kept.bytes }])).status).toBe(200);

      const second = strataCli(['serve']);
      expect(second.status).toBe(2);
      // serve writes JSON lines only: one, naming the holder.
      const [line, ...more] = second.stderr.trim().split('\n');
      expect(more).toEqual([]);
      const fatal = JSON.parse(line!) as { code: string; detail: string };
      expect(fatal.code).toBe('lib.directory_locked');
      expect(fatal.detail).toContain(`pid ${server.process.pid!}`);
      expect(fatal.detail).toContain('"strata serve"');

      // An orphan in the tier: a verify that ran would remove it.
      const orphan = blobPath(join(dataDir, 'blobs'), newBlobKey());
      await mkdir(dirname(orphan), { recursive: true });
      await writeFile(orphan, 'referenced by nothing');
      const verify = strataCli(['verify', '--remove-orphans']);
      expect(verify.status).toBe(2);
      expect(verify.stderr).toContain(`pid ${server.process.pid!}`);
      expect(verify.stdout).toBe('');
      await access(orphan); // still there: the refused verify deleted nothing

      // The first server still serves the instance, byte for byte.
      const got = await fetch(
        `${server.base}/studies/${kept.studyInstanceUid}/series/${kept.seriesInstanceUid}/instances/${kept.sopInstanceUid}`,
        { headers: { Accept: 'application/dicom' } },
      );
      expect(got.status).toBe(200);
      expect(Buffer.from(await got.arrayBuffer()).equals(kept.bytes)).toBe(true);
    } finally {
      await server.stop();
    }
    // Released on a clean stop: verify runs (and finds the orphan planted above).
    const verify = strataCli(['verify']);
    expect(verify.status, verify.stderr).toBe(1);
    expect(JSON.parse(verify.stdout)).toMatchObject({ instances: 1, missing: 0, orphans: 1 });
  }, 600_000);

  it('after SIGKILL of the holder, the next start takes the lock over', async () => {
    const doomed = await startChildServer(env());
    doomed.process.kill('SIGKILL');
    expect((await doomed.exited).signal).toBe('SIGKILL');
    const next = await startChildServer(env());
    try {
      const stored = await stow(`${next.base}/studies`, [{ body: makeInstance().bytes }]);
      expect(stored.status).toBe(200);
    } finally {
      await next.stop();
    }
  }, 300_000);
});

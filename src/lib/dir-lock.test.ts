import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DirectoryLockedError, lockDirectory, type LockHolder } from './dir-lock.js';

let root: string;
let dir: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'strata-lock-'));
  dir = join(root, 'index');
});
afterEach(() => rm(root, { recursive: true, force: true }));

/** A pid that surely belonged to a process that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
    encoding: 'utf8',
  });
  return Number(child.stdout);
}

async function writeHolder(holder: Partial<LockHolder>): Promise<void> {
  const full: LockHolder = {
    pid: 1,
    host: hostname(),
    command: 'strata serve',
    since: '2026-01-01T00:00:00.000Z',
    nonce: 'stale-nonce',
    ...holder,
  };
  await writeFile(`${dir}.lock`, JSON.stringify(full));
}

describe('lockDirectory', () => {
  it('refuses a second lock naming the holder, and grants it again after release', async () => {
    const first = await lockDirectory(dir, 'strata serve');
    const refused = await lockDirectory(dir, 'strata verify').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(DirectoryLockedError);
    expect((refused as Error).message).toContain(`pid ${process.pid} on ${hostname()}`);
    expect((refused as Error).message).toContain('"strata serve"');
    await first.release();
    const second = await lockDirectory(dir, 'strata verify');
    await second.release();
    // Nothing left behind: no lock file, no temp file.
    expect(await readdir(root)).toEqual([]);
  });

  it('takes over the lock of a process that died without releasing it (SIGKILL)', async () => {
    await writeHolder({ pid: deadPid() });
    const lock = await lockDirectory(dir, 'strata serve');
    const holder = JSON.parse(await readFile(`${dir}.lock`, 'utf8')) as LockHolder;
    expect(holder).toMatchObject({ pid: process.pid, command: 'strata serve' });
    await lock.release();
  });

  it('takes over a lock whose pid now belongs to a process started later (pid reuse)', async () => {
    // A live pid (our parent), but the holder recorded another start time: not the same process.
    await writeHolder({ pid: process.ppid, procStart: '1' });
    await (await lockDirectory(dir, 'strata serve')).release();
    // Our own pid, but not a lock this process took: an earlier incarnation (container restart).
    await writeHolder({ pid: process.pid });
    await (await lockDirectory(dir, 'strata serve')).release();
  });

  it('refuses a lock whose holder is alive', async () => {
    await writeHolder({ pid: process.ppid, procStart: undefined });
    const refused = await lockDirectory(dir, 'strata serve').catch((e: unknown) => e);
    expect((refused as Error).message).toContain(`pid ${process.ppid}`);
  });

  it('takes over an unreadable lock file (what a power cut can leave)', async () => {
    await writeFile(`${dir}.lock`, '');
    await (await lockDirectory(dir, 'strata serve')).release();
  });

  it('refuses a lock held on another host and says which file to remove', async () => {
    await writeHolder({ pid: deadPid(), host: 'elsewhere' });
    const refused = await lockDirectory(dir, 'strata serve').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(DirectoryLockedError);
    expect((refused as Error).message).toContain(`remove ${dir}.lock`);
  });

  it('release leaves a lock taken over by someone else alone', async () => {
    const lock = await lockDirectory(dir, 'strata serve');
    await writeHolder({ pid: process.pid, nonce: 'someone-else' });
    await lock.release();
    expect(JSON.parse(await readFile(`${dir}.lock`, 'utf8'))).toMatchObject({
      nonce: 'someone-else',
    });
  });
});

import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runStrata, type StrataRun } from './helpers/child-server.js';
import { testDb } from './helpers/server.js';
import { mountTmpfs, type Tmpfs } from './helpers/tmpfs.js';

/**
 * The embedded PGlite index on a full disk (a real tmpfs): `strata serve` says what happened
 * — disk full, and which directory — in one JSON line and exits non-zero, instead of leaving
 * "fatal: Aborted()" or an ErrnoError. PGlite only; a child process, as an operator runs it.
 */
const mounts: Tmpfs[] = [];
afterAll(async () => {
  for (const disk of mounts) await disk.unmount();
});

async function mounted(size: string): Promise<Tmpfs | undefined> {
  const disk = await mountTmpfs(size);
  if (disk) mounts.push(disk);
  return disk;
}

/** Writes zeros into one file until the filesystem refuses more (at most 1 GiB). */
async function fill(dir: string): Promise<void> {
  const file = await open(join(dir, 'filler'), 'w');
  const chunk = Buffer.alloc(1024 * 1024);
  try {
    for (let i = 0; i < 1024; i++) await file.write(chunk);
    throw new Error('the disk did not fill up within 1 GiB');
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'ENOSPC') throw error;
  } finally {
    await file.close();
  }
}

function expectDiskFullReport(run: StrataRun, dataDir: string): void {
  expect(run.code, run.lines.join('\n')).toBe(1);
  const lines = run.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  expect(lines.at(-1)).toMatchObject({
    level: 'error',
    code: 'index.disk_full',
    dataDir: join(dataDir, 'index'),
  });
  expect(String(lines.at(-1)!['msg'])).toMatch(/disk .* is full/);
}

describe.runIf(testDb === 'pglite')('PGlite index on a full disk', () => {
  it('an existing index whose disk filled up: one JSON line naming the directory, exit 1', async () => {
    const disk = await mounted('64m');
    if (!disk) return;
    const migrated = await runStrata(['migrate'], { DATA_DIR: disk.path }, { timeoutMs: 240_000 });
    expect(migrated.code, migrated.lines.join('\n')).toBe(0);
    await fill(disk.path);

    const run = await runStrata(['serve'], { DATA_DIR: disk.path }, { timeoutMs: 120_000 });
    expectDiskFullReport(run, disk.path);
  }, 400_000);

  it('a disk too small to create the index: the same line, exit 1', async () => {
    const disk = await mounted('8m');
    if (!disk) return;
    const run = await runStrata(['serve'], { DATA_DIR: disk.path }, { timeoutMs: 240_000 });
    expectDiskFullReport(run, disk.path);
  }, 300_000);
});

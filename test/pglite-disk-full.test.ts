import { spawn } from 'node:child_process';
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runStrata, startChildServer, type StrataRun } from './helpers/child-server.js';
import { makeInstance } from './helpers/make-dicom.js';
import { stow } from './helpers/multipart.js';
import { testDb } from './helpers/server.js';
import { mountTmpfs, type Tmpfs } from './helpers/tmpfs.js';

/**
 * The embedded PGlite index on a full disk (a real tmpfs): `strata serve` says what happened
 * — disk full, and which directory — in one JSON line and exits non-zero, instead of leaving
 * "fatal: Aborted()" or an ErrnoError. PGlite only; a child process, as an operator runs it.
 */
const mounts: Tmpfs[] = [];
const dirs: string[] = [];
afterAll(async () => {
  for (const disk of mounts) await disk.unmount();
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function mounted(size: string, at?: string): Promise<Tmpfs | undefined> {
  const disk = await mountTmpfs(size, at);
  if (disk) mounts.push(disk);
  return disk;
}

/** A DATA_DIR on the ordinary disk whose `index` folder alone is a small tmpfs. */
async function indexOnSmallDisk(size: string): Promise<{ dataDir: string; disk?: Tmpfs }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'strata-index-disk-'));
  dirs.push(dataDir);
  const disk = await mounted(size, join(dataDir, 'index'));
  return disk ? { dataDir, disk } : { dataDir };
}

/**
 * Writes zeros into one file until the filesystem refuses more (at most 1 GiB): 1 MiB at a
 * time, then 4 KiB at a time, so that not even a page is left.
 */
async function fill(dir: string): Promise<void> {
  const file = await open(join(dir, 'filler'), 'w');
  try {
    for (const size of [1024 * 1024, 4096]) {
      const chunk = Buffer.alloc(size);
      try {
        for (let written = 0; written < 1024 ** 3; written += size) await file.write(chunk);
        throw new Error('the disk did not fill up within 1 GiB');
      } catch (error) {
        if ((error as { code?: unknown }).code !== 'ENOSPC') throw error;
      }
    }
  } finally {
    await file.close();
  }
}

function stowOne(base: string) {
  return stow(`${base}/studies`, [{ body: makeInstance().bytes }]);
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

  it('the index disk fills while serving: STOW answers 503 index.unavailable, searches still answer, and STOW stores again once space is freed', async () => {
    const { dataDir, disk } = await indexOnSmallDisk('96m');
    if (!disk) return;
    const migrated = await runStrata(['migrate'], { DATA_DIR: dataDir }, { timeoutMs: 240_000 });
    expect(migrated.code, migrated.lines.join('\n')).toBe(0);
    const server = await startChildServer({ DATA_DIR: dataDir });
    try {
      expect((await stowOne(server.base)).status).toBe(200);
      await fill(disk.path);

      // The blobs have room (another disk); the index cannot extend its files (SQLSTATE 53100).
      // Rows that still fit in a page get in; within a few instances one needs a new page.
      let refused: Awaited<ReturnType<typeof stowOne>> | undefined;
      for (let i = 0; i < 200 && !refused; i++) {
        const answer = await stowOne(server.base);
        if (answer.status !== 200) refused = answer;
      }
      expect(refused?.status, 'no STOW was refused on the full index disk').toBe(503);
      expect(refused?.json).toMatchObject({ code: 'index.unavailable' });
      expect(refused?.headers.get('retry-after')).toBe('5');
      const search = await fetch(`${server.base}/studies?limit=1`);
      expect(search.status).toBe(200);

      await rm(join(disk.path, 'filler'));
      expect((await stowOne(server.base)).status).toBe(200);
      expect(server.process.exitCode).toBeNull();
    } finally {
      await server.stop();
    }
  }, 400_000);

  it('PGlite aborting while its disk is full: the request gets 503, then one index.disk_full line naming the directory, exit 1', async () => {
    const { dataDir, disk } = await indexOnSmallDisk('96m');
    if (!disk) return;
    const marker = join(dataDir, 'abort-now');
    const server = await startChildServer({ DATA_DIR: dataDir, STRATA_TEST_ABORT_MARKER: marker });
    try {
      expect((await stowOne(server.base)).status).toBe(200);
      await fill(disk.path);
      await writeFile(marker, '');
      const answer = await stowOne(server.base);
      expect(answer.status).toBe(503);
      expect(answer.json).toMatchObject({ code: 'index.aborted' });
      const { code } = await server.exited;
      expect(code, server.lines.join('\n')).toBe(1);
      const fatal = server.lines.filter((line) => line.includes('"index.disk_full"'));
      expect(fatal, server.lines.join('\n')).toHaveLength(1);
      const line = JSON.parse(fatal[0]!) as Record<string, unknown>;
      expect(line).toMatchObject({ level: 'error', dataDir: join(dataDir, 'index') });
      expect(String(line['msg'])).toMatch(/disk .* is full/);
      expect(server.lines.join('\n')).not.toContain('Aborted()');
    } finally {
      await server.stop();
    }
  }, 300_000);

  it('PGlite wedged by a checkpoint that failed on the full disk: the watchdog writes one index.disk_full line naming the directory and kills the process', async () => {
    const { dataDir, disk } = await indexOnSmallDisk('64m');
    if (!disk) return;
    // A child: the wedge blocks the event loop of the process it happens in.
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'test/helpers/pglite-wedge-entry.ts', dataDir, '3000'],
      { cwd: join(import.meta.dirname, '..'), stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const deadline = setTimeout(() => child.kill('SIGKILL'), 120_000);
    const signal = await new Promise<NodeJS.Signals | null>((resolve) =>
      child.once('close', (_code, signal) => resolve(signal)),
    );
    clearTimeout(deadline);

    expect(stdout).toContain('checkpoint failed 53100');
    expect(stdout).toContain('wedging');
    expect(stdout).not.toContain('the statement returned');
    expect(signal, stderr).toBe('SIGKILL');
    const lines = stderr.split('\n').filter((line) => line.startsWith('{'));
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(line).toMatchObject({
      level: 'error',
      code: 'index.disk_full',
      dataDir: join(dataDir, 'index'),
    });
    expect(String(line['msg'])).toMatch(/disk .* is full/);
    expect(line['stalledMs']).toBeGreaterThanOrEqual(3000);
  }, 200_000);
});

describe.runIf(testDb === 'pglite')('PGlite index aborting with room on its disk', () => {
  it('the request gets 503 index.aborted, then one fatal line naming the abort, exit 1', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'strata-index-abort-'));
    dirs.push(dataDir);
    const marker = join(dataDir, 'abort-now');
    const server = await startChildServer({ DATA_DIR: dataDir, STRATA_TEST_ABORT_MARKER: marker });
    try {
      expect((await stowOne(server.base)).status).toBe(200);
      await writeFile(marker, '');
      const answer = await stowOne(server.base);
      expect(answer.status).toBe(503);
      expect(answer.json).toMatchObject({ code: 'index.aborted' });
      const { code } = await server.exited;
      expect(code, server.lines.join('\n')).toBe(1);
      const fatal = server.lines
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .filter((line) => line['msg'] === 'index aborted');
      expect(fatal).toHaveLength(1);
      expect(JSON.stringify(fatal[0])).toContain('index.aborted');
      expect(server.lines.join('\n')).not.toContain('index.disk_full');
    } finally {
      await server.stop();
    }
  }, 300_000);
});

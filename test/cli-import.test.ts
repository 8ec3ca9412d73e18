import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import yazl from 'yazl';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStrata } from '../src/compose.js';
import { loadConfig } from '../src/config/config.js';
import { runStrata, startChildServer } from './helpers/child-server.js';
import { makeInstance, newUid, type GeneratedInstance } from './helpers/make-dicom.js';
import { sampleBytes, samples } from './helpers/samples.js';
import { freshDatabase, readBlob, testDb } from './helpers/server.js';
import { findInstance } from '../src/index/current-instance.repository.js';

/**
 * `strata import` as a user runs it: a child process against a DATA_DIR (and the database of
 * this project), and against a running server with --url.
 */
let work: string;
let database: Awaited<ReturnType<typeof freshDatabase>>;
let env: Record<string, string>;
const generated: GeneratedInstance[] = [];
const zipped: GeneratedInstance[] = [];
/** Up to three samples the set says any server must store, with distinct SOP Instance UIDs. */
const chosen = [
  ...new Map(
    samples.filter((s) => s.expect === 'store' && s.sop_instance).map((s) => [s.sop_instance, s]),
  ).values(),
]
  .filter((s) => /^ts-(implicit-le|explicit-le|jpeg-baseline)_/.test(s.file))
  .slice(0, 3);

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'strata-import-'));
  database = await freshDatabase();
  env = {
    DATA_DIR: join(work, 'data'),
    LOG_LEVEL: 'warn',
    SWEEP_INTERVAL_SECONDS: '0',
    ...(database.url ? { DATABASE_URL: database.url } : {}),
  };
  // A folder: a study at the top, more of it in a nested folder, samples, and what is not DICOM.
  const study = newUid();
  const series = newUid();
  const input = join(work, 'input');
  await mkdir(join(input, 'nested', 'deeper'), { recursive: true });
  for (let i = 0; i < 5; i++) {
    const instance = makeInstance({ studyInstanceUid: study, seriesInstanceUid: series });
    generated.push(instance);
    const dir = i < 3 ? input : join(input, 'nested', 'deeper');
    await writeFile(join(dir, `im${i}.dcm`), instance.bytes);
  }
  for (const s of chosen) await writeFile(join(input, 'nested', s.file), sampleBytes(s.file));
  await writeFile(join(input, 'report.txt'), 'not an image');
  await writeFile(join(input, '.DS_Store'), 'finder');
  await writeFile(join(input, 'DICOMDIR'), 'media index');
  // A zip with entries in folders.
  const zip = new yazl.ZipFile();
  for (let i = 0; i < 3; i++) {
    const instance = makeInstance();
    zipped.push(instance);
    zip.addBuffer(instance.bytes, `disc/IMAGES/IM${i}`);
  }
  zip.addBuffer(Buffer.from('x'), '__MACOSX/disc/._IM0');
  zip.end();
  await pipeline(zip.outputStream, createWriteStream(join(work, 'disc.zip')));
});
afterAll(async () => {
  await database?.drop();
  await rm(work, { recursive: true, force: true });
});

/** Summary counts by name ("stored", "duplicates", …). */
function counts(stdout: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const match of stdout.matchAll(/^ {2}(stored|duplicates|skipped|refused) +(\d+)/gm)) {
    out[match[1]!] = Number(match[2]);
  }
  return out;
}

describe(`strata import (${testDb})`, () => {
  it('#14: imports a folder recursively, refuses what is not DICOM (exit 1, reason named), skips hidden files and DICOMDIR; a second run stores nothing again', async () => {
    const expected = generated.length + chosen.length;
    const first = await runStrata(['import', join(work, 'input')], env, { timeoutMs: 120_000 });
    expect(first.code, first.stdout + first.lines.join('\n')).toBe(1);
    expect(counts(first.stdout)).toEqual({
      stored: expected,
      duplicates: 0,
      skipped: 2,
      refused: 1,
    });
    expect(first.stdout).toMatch(/1 × not DICOM/);
    expect(first.stdout).toContain(join(work, 'input', 'report.txt'));
    // Not a terminal: one plain line per file, no control characters.
    expect(first.stdout).not.toContain('\x1b');
    expect(first.stdout).toMatch(/^stored +\S+im4\.dcm$/m);
    expect(first.stdout).toMatch(/^skipped +\S+DICOMDIR \(DICOMDIR\)$/m);

    const second = await runStrata(['import', join(work, 'input'), '--concurrency', '2'], env, {
      timeoutMs: 120_000,
    });
    expect(second.code).toBe(1);
    expect(counts(second.stdout)).toEqual({
      stored: 0,
      duplicates: expected,
      skipped: 2,
      refused: 1,
    });

    // What the index holds is the files' bytes (preamble zeroed, as STOW stores them).
    const strata = await openStrata(loadConfig(env));
    try {
      for (const instance of generated) {
        const row = await findInstance(strata.database.db, instance.sopInstanceUid);
        expect(row, 'indexed').toBeDefined();
        expect((await readBlob(strata, row!.blobKey)).equals(instance.bytes)).toBe(true);
      }
    } finally {
      await strata.close();
    }
  }, 240000);

  it('#14: imports a zip archive entry by entry (skipping macOS resource forks), exit 0; again: all duplicates; the trail has 110107 Import', async () => {
    const first = await runStrata(['import', join(work, 'disc.zip')], env, { timeoutMs: 120_000 });
    expect(first.code, first.stdout + first.lines.join('\n')).toBe(0);
    expect(counts(first.stdout)).toEqual({ stored: 3, duplicates: 0, skipped: 1, refused: 0 });
    expect(first.stdout).toContain('disc.zip:disc/IMAGES/IM2');
    const second = await runStrata(['import', join(work, 'disc.zip')], env, { timeoutMs: 120_000 });
    expect(second.code).toBe(0);
    expect(counts(second.stdout)).toMatchObject({ stored: 0, duplicates: 3 });

    const audit = await runStrata(['audit', 'search', '--event', '110107'], env);
    expect(audit.code, audit.lines.join('\n')).toBe(0);
    const records = audit.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    // One record per patient and run: the folder's (generated and samples' patients), the zip's.
    const folder = records.filter((r) => r.detail.source === 'folder');
    expect(folder.reduce((n, r) => n + r.detail.instances, 0)).toBe(
      generated.length + chosen.length,
    );
    expect(new Set(folder.map((r) => r.patientRef)).size).toBe(folder.length);
    expect(records.filter((r) => r.detail.source === 'zip')).toHaveLength(1);
    expect(records.find((r) => r.detail.source === 'zip')).toMatchObject({
      eventId: '110107',
      action: 'C',
      outcome: 0,
      userMethod: 'system',
      detail: { instances: 3, failed: 0 },
    });
    // No path, name or UID in the record (patient and studies are keyed hashes).
    expect(JSON.stringify(records)).not.toContain(work);
    expect(JSON.stringify(records)).not.toContain(zipped[0]!.studyInstanceUid);
  }, 240000);

  it('#14: imports into a running server with --url (batched STOW-RS); a second run finds everything on the server', async () => {
    const serverDb = await freshDatabase();
    const serverDir = await mkdtemp(join(tmpdir(), 'strata-import-server-'));
    const server = await startChildServer({
      DATA_DIR: serverDir,
      SWEEP_INTERVAL_SECONDS: '0',
      ...(serverDb.url ? { DATABASE_URL: serverDb.url } : {}),
    });
    try {
      const url = server.base.replace(/\/dicom-web$/, '');
      const args = ['import', join(work, 'input'), join(work, 'disc.zip'), '--url', url];
      const expected = generated.length + chosen.length + zipped.length;
      const first = await runStrata(args, { LOG_LEVEL: 'warn' }, { timeoutMs: 120_000 });
      expect(first.code, first.stdout + first.lines.join('\n')).toBe(1);
      expect(counts(first.stdout)).toEqual({
        stored: expected,
        duplicates: 0,
        skipped: 3,
        refused: 1,
      });
      expect(first.stdout).toMatch(/1 × not DICOM/);

      const search = await fetch(
        `${server.base}/studies/${generated[0]!.studyInstanceUid}/instances`,
      );
      expect(search.status).toBe(200);
      expect(((await search.json()) as unknown[]).length).toBe(generated.length);

      const second = await runStrata(
        [...args, '--concurrency', '1'],
        { LOG_LEVEL: 'warn' },
        {
          timeoutMs: 120_000,
        },
      );
      expect(counts(second.stdout)).toEqual({
        stored: 0,
        duplicates: expected,
        skipped: 3,
        refused: 1,
      });
      expect(second.stdout).toContain('already on the server');
    } finally {
      await server.stop();
      await serverDb.drop();
      await rm(serverDir, { recursive: true, force: true });
    }
  }, 240000);

  it('#14: --url with an API key: an uploader key (may not search) sends everything and the server answers; a wrong key stops the run', async () => {
    const serverDb = await freshDatabase();
    const serverDir = await mkdtemp(join(tmpdir(), 'strata-import-key-'));
    const serverEnv = {
      DATA_DIR: serverDir,
      SWEEP_INTERVAL_SECONDS: '0',
      AUTH_METHODS: 'api-key',
      ...(serverDb.url ? { DATABASE_URL: serverDb.url } : {}),
    };
    const created = await runStrata(
      ['keys', 'create', '--name', 'importer', '--role', 'uploader'],
      serverEnv,
    );
    expect(created.code, created.lines.join('\n')).toBe(0);
    const key = created.stdout.trim();
    const server = await startChildServer(serverEnv);
    try {
      const args = ['import', join(work, 'input'), '--url', server.base, '--token', key];
      const expected = generated.length + chosen.length;
      for (let run = 0; run < 2; run++) {
        // The second run cannot ask what is stored: the server answers identical copies as stored.
        const result = await runStrata(args, { LOG_LEVEL: 'warn' }, { timeoutMs: 120_000 });
        expect(result.code, result.stdout + result.lines.join('\n')).toBe(1);
        expect(counts(result.stdout)).toEqual({
          stored: expected,
          duplicates: 0,
          skipped: 2,
          refused: 1,
        });
      }
      const wrong = await runStrata(
        ['import', join(work, 'disc.zip'), '--url', server.base, '--token', 'strata_wrong'],
        { LOG_LEVEL: 'warn' },
        { timeoutMs: 120_000 },
      );
      expect(wrong.code).toBe(1);
      expect(wrong.lines.join('\n')).toMatch(/stopped: server answered 401/);
      expect(counts(wrong.stdout)).toMatchObject({ stored: 0 });
    } finally {
      await server.stop();
      await serverDb.drop();
      await rm(serverDir, { recursive: true, force: true });
    }
  }, 240000);

  it('checks its arguments: no input, an unknown option, --token without --url exit 2', async () => {
    for (const args of [['import'], ['import', 'x', '--frob'], ['import', 'x', '--token', 't']]) {
      const run = await runStrata(args, env);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.lines.join('\n')).toContain('Usage: strata import');
    }
  }, 240000);
});

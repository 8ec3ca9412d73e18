import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStrata, startStrata } from '../src/compose.js';
import { loadConfig } from '../src/config/config.js';
import { findInstance } from '../src/index/current-instance.repository.js';
import { createLogger } from '../src/lib/log.js';
import { blobPath } from '../src/storage/fs-paths.js';
import { newBlobKey } from '../src/storage/keys.js';
import { keysIn } from './helpers/hsm.js';
import { makeInstance, type GeneratedInstance } from './helpers/make-dicom.js';
import { stow } from './helpers/multipart.js';
import { freshDatabase, testDb } from './helpers/server.js';

/**
 * `strata verify` against damage made by hand in a real fs tier: a deleted blob, a flipped
 * byte, a truncated blob and an orphan; then `--remove-orphans` removes the orphan only.
 */
const ROOT = fileURLToPath(new URL('../', import.meta.url));
let dir: string;
let database: Awaited<ReturnType<typeof freshDatabase>>;
let env: Record<string, string>;
let all: GeneratedInstance[];
const keys: string[] = [];
let orphan: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'strata-verify-'));
  database = await freshDatabase();
  env = {
    DATA_DIR: dir,
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'silent',
    SWEEP_INTERVAL_SECONDS: '0',
    ...(database.url ? { DATABASE_URL: database.url } : {}),
  };
  const server = await startStrata(loadConfig(env), { log: createLogger('silent') });
  try {
    all = [makeInstance(), makeInstance(), makeInstance(), makeInstance({ pixelBytes: 4096 })];
    const stored = await stow(
      `${server.url}/dicom-web/studies`,
      all.map((i) => ({ body: i.bytes })),
    );
    expect(stored.status).toBe(200);
    for (const i of all)
      keys.push((await findInstance(server.database.db, i.sopInstanceUid))!.blobKey);
  } finally {
    await server.close();
  }
});
afterAll(async () => {
  await database?.drop();
  await rm(dir, { recursive: true, force: true });
});

function strataCli(args: string[], extraEnv: Record<string, string> = {}) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts', ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env, ...extraEnv },
    encoding: 'utf8',
    timeout: 60_000,
  });
}

const blobs = () => join(dir, 'blobs');

describe(`strata verify (${testDb})`, () => {
  it('a healthy archive verifies clean and exits 0', () => {
    const run = strataCli(['verify']);
    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      ok: true,
      instances: 4,
      blobsListed: 4,
      missing: 0,
      checksumMismatches: 0,
      orphans: 0,
    });
  });

  it('finds a deleted blob, a flipped byte, a truncated blob and an orphan; exits 1', async () => {
    await rm(blobPath(blobs(), keys[0]!));
    const flipped = await readFile(blobPath(blobs(), keys[1]!));
    flipped[200] = flipped[200]! ^ 0x01;
    await writeFile(blobPath(blobs(), keys[1]!), flipped);
    await truncate(blobPath(blobs(), keys[2]!), 100);
    const strata = await openStrata(loadConfig(env), { log: createLogger('silent') });
    try {
      orphan = newBlobKey();
      await strata.store.put(orphan, Readable.from([Buffer.from('not referenced')]));
    } finally {
      await strata.close();
    }

    const run = strataCli(['verify']);
    expect(run.status).toBe(1);
    const report = JSON.parse(run.stdout);
    expect(report).toMatchObject({
      ok: false,
      instances: 4,
      missing: 1,
      checksumMismatches: 1,
      sizeMismatches: 1,
      orphans: 1,
      orphansRemoved: 0,
    });
    expect(report.problems).toEqual(
      expect.arrayContaining([
        { kind: 'missing', tier: 'fs', key: keys[0] },
        { kind: 'checksum-mismatch', tier: 'fs', key: keys[1] },
        { kind: 'size-mismatch', tier: 'fs', key: keys[2] },
        { kind: 'orphan', tier: 'fs', key: orphan },
      ]),
    );
    // PHI-free: keys and tiers, never UIDs.
    for (const i of all) expect(run.stdout).not.toContain(i.sopInstanceUid);
  });

  it('--no-checksums is an existence and size pass: the flipped byte goes unnoticed', () => {
    const run = strataCli(['verify', '--no-checksums', '--concurrency', '2']);
    expect(run.status).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({
      missing: 1,
      sizeMismatches: 1,
      checksumMismatches: 0,
      orphans: 1,
    });
  });

  it('--remove-orphans removes the orphan and nothing else', async () => {
    const run = strataCli(['verify', '--remove-orphans']);
    expect(run.status).toBe(1); // the damaged instances are still damaged
    expect(JSON.parse(run.stdout)).toMatchObject({ orphans: 1, orphansRemoved: 1, missing: 1 });
    const strata = await openStrata(loadConfig(env), { log: createLogger('silent') });
    try {
      expect(await keysIn(strata.store)).toEqual([keys[1], keys[2], keys[3]].sort());
      const chunks: Buffer[] = [];
      for await (const c of await strata.store.get(keys[3]!)) chunks.push(c as Buffer);
      expect(Buffer.concat(chunks).equals(all[3]!.bytes)).toBe(true);
    } finally {
      await strata.close();
    }
    const again = strataCli(['verify']);
    expect(JSON.parse(again.stdout)).toMatchObject({ orphans: 0, missing: 1 });
  });

  it('an unknown option exits 2 with the usage; hsm without a subcommand exits 2', () => {
    const run = strataCli(['verify', '--fix-everything']);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('Usage: strata verify');
    const hsm = strataCli(['hsm']);
    expect(hsm.status).toBe(2);
    expect(hsm.stderr).toContain('Usage: strata hsm');
  });

  it('a configuration that leaves indexed instances without their tier exits 2 naming STRATA_CONFIG', async () => {
    const path = join(dir, 'other-tiers.json');
    await writeFile(
      path,
      JSON.stringify({ tiers: [{ name: 'hot', backend: { kind: 'fs', root: 'hot' } }] }),
    );
    for (const args of [['verify'], ['hsm', 'stats']]) {
      const run = strataCli(args, { STRATA_CONFIG: path });
      expect(run.status).toBe(2);
      expect(run.stderr).toContain(
        'strata: configuration error: STRATA_CONFIG: the index has instances in tier(s) "fs"',
      );
    }
  });

  it('strata hsm stats prints per-tier figures; hsm run without STRATA_CONFIG moves nothing', () => {
    const stats = strataCli(['hsm', 'stats']);
    expect(stats.status, stats.stderr).toBe(0);
    expect(JSON.parse(stats.stdout)).toMatchObject({
      tiers: [{ tier: 'fs', instances: 4, studies: 4, series: 4, patients: 1 }],
      totals: { cycles: 0, migrated: 0 },
    });
    const run = strataCli(['hsm', 'run']);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).toContain('no STRATA_CONFIG');
    expect(JSON.parse(run.stdout)).toMatchObject({ trigger: 'cli', migrated: 0, transitions: [] });
  });
});

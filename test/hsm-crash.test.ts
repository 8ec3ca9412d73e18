import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { openStrata, startStrata } from '../src/compose.js';
import { loadConfig } from '../src/config/config.js';
import { findInstance } from '../src/index/current-instance.repository.js';
import { createLogger } from '../src/lib/log.js';
import { entryFor, runStrata } from './helpers/child-server.js';
import { keysIn } from './helpers/hsm.js';
import { makeInstance, type GeneratedInstance } from './helpers/make-dicom.js';
import { stow } from './helpers/multipart.js';
import { freshDatabase, testDb } from './helpers/server.js';

/**
 * Kill `strata hsm run` (SIGKILL, like a power cut) at each step of a move, then check: every
 * instance is readable from its recorded tier with its exact bytes, the next sweep and cycle
 * finish the job, and `strata verify` finds nothing missing, damaged or orphaned.
 */
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function setup(
  options: { leaseSeconds: number; pendingGraceSeconds: number } = {
    leaseSeconds: 1,
    pendingGraceSeconds: 0,
  },
) {
  const dir = await mkdtemp(join(tmpdir(), 'strata-hsm-crash-'));
  const database = await freshDatabase();
  cleanups.push(async () => {
    await database.drop();
    await rm(dir, { recursive: true, force: true });
  });
  const configPath = join(dir, 'strata.json');
  await writeFile(
    configPath,
    JSON.stringify({
      tiers: [
        { name: 'hot', backend: { kind: 'fs', root: 'hot' } },
        { name: 'warm', backend: { kind: 'fs', root: 'warm' } },
      ],
      policies: [{ from: 'hot', to: 'warm', afterDaysSinceStored: 0, concurrency: 1 }],
      migration: { intervalSeconds: 0, leaseSeconds: options.leaseSeconds },
    }),
  );
  const env: Record<string, string> = {
    DATA_DIR: join(dir, 'data'),
    STRATA_CONFIG: configPath,
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'silent',
    SWEEP_INTERVAL_SECONDS: '0',
    SWEEP_PENDING_GRACE_SECONDS: String(options.pendingGraceSeconds),
    SWEEP_DELETE_GRACE_SECONDS: '0',
    ...(database.url ? { DATABASE_URL: database.url } : {}),
  };
  return { env };
}

function strataCli(args: string[], env: Record<string, string>) {
  return spawnSync(process.execPath, ['--import', 'tsx', entryFor(env), ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
}

/** Every instance readable from its recorded tier, byte for byte; returns tiers by instance. */
async function checkAll(env: Record<string, string>, all: GeneratedInstance[]) {
  const strata = await openStrata(loadConfig(env), { log: createLogger('silent') });
  try {
    const tiers: string[] = [];
    for (const i of all) {
      const row = (await findInstance(strata.database.db, i.sopInstanceUid))!;
      const chunks: Buffer[] = [];
      for await (const c of await strata.stores.get(row.storageTier)!.get(row.blobKey)) {
        chunks.push(c as Buffer);
      }
      expect(Buffer.concat(chunks).equals(i.bytes)).toBe(true);
      tiers.push(row.storageTier);
    }
    return tiers;
  } finally {
    await strata.close();
  }
}

describe(`HSM crash safety under SIGKILL (${testDb})`, () => {
  // hsm-after-switch is also "before the source delete" (nothing happens in between).
  it.each(['hsm-during-copy', 'hsm-after-copy', 'hsm-after-verify', 'hsm-after-switch'])(
    'crash %s: nothing is lost, every instance stays readable, the next cycle completes',
    async (point) => {
      const { env } = await setup();
      const server = await startStrata(loadConfig(env), { log: createLogger('silent') });
      const all = [makeInstance(), makeInstance(), makeInstance()];
      const stored = await stow(
        `${server.url}/dicom-web/studies`,
        all.map((i) => ({ body: i.bytes })),
      );
      expect(stored.status).toBe(200);
      await server.close();

      const crashed = strataCli(['hsm', 'run'], { ...env, STRATA_TEST_CRASH_AT: point });
      expect(crashed.signal, crashed.stderr).toBe('SIGKILL');

      // Right after the crash: every instance readable where the index says.
      const afterCrash = await checkAll(env, all);
      const moved = point === 'hsm-after-switch' ? 1 : 0;
      expect(afterCrash.filter((t) => t === 'warm')).toHaveLength(moved);

      // The claim lease (1 s) expires; a cycle finishes the job; the sweep removes leftovers.
      await new Promise((resolve) => setTimeout(resolve, 1100));
      const rerun = strataCli(['hsm', 'run'], env);
      expect(rerun.status, rerun.stderr).toBe(0);
      expect(JSON.parse(rerun.stdout)).toMatchObject({ migrated: 3 - moved, failed: 0 });
      const strata = await openStrata(loadConfig(env), { log: createLogger('silent') });
      try {
        await strata.services.maintenance.sweeper.sweep();
        expect(await keysIn(strata.stores.get('hot')!)).toEqual([]);
        expect(await keysIn(strata.stores.get('warm')!)).toHaveLength(3);
      } finally {
        await strata.close();
      }
      expect(await checkAll(env, all)).toEqual(['warm', 'warm', 'warm']);

      const verify = strataCli(['verify'], env);
      expect(verify.status, verify.stdout + verify.stderr).toBe(0);
      expect(JSON.parse(verify.stdout)).toMatchObject({ ok: true, instances: 3, orphans: 0 });
    },
  );
});

// PGlite is one process by design; several processes sharing an index need PostgreSQL.
describe.skipIf(testDb !== 'postgres')('HSM across processes (postgres)', () => {
  it('two `strata hsm run` processes at once move every instance exactly once', async () => {
    const { env } = await setup({ leaseSeconds: 600, pendingGraceSeconds: 3600 });
    const server = await startStrata(loadConfig(env), { log: createLogger('silent') });
    const all = Array.from({ length: 24 }, () => makeInstance());
    try {
      const stored = await stow(
        `${server.url}/dicom-web/studies`,
        all.map((i) => ({ body: i.bytes })),
      );
      expect(stored.status).toBe(200);
    } finally {
      await server.close();
    }
    // Side by side, without blocking this process (runStrata is asynchronous).
    const runs = await Promise.all([
      runStrata(['hsm', 'run'], env),
      runStrata(['hsm', 'run'], env),
    ]);
    const reports = runs.map((r) => {
      expect(r.code, r.lines.join('\n')).toBe(0);
      return JSON.parse(r.stdout) as {
        migrated: number;
        skipped: number;
        failed: number;
        worker: string;
      };
    });
    expect(reports[0]!.worker).not.toBe(reports[1]!.worker);
    expect(reports[0]!.migrated + reports[1]!.migrated).toBe(24);
    expect(reports[0]!.failed + reports[1]!.failed).toBe(0);
    // A doubly claimed instance would be copied twice and the loser's switch reported skipped.
    expect(reports[0]!.skipped + reports[1]!.skipped).toBe(0);
    const strata = await openStrata(loadConfig(env), { log: createLogger('silent') });
    try {
      // One copy per instance: no instance was copied by both (no orphan in warm).
      expect(await keysIn(strata.stores.get('warm')!)).toHaveLength(24);
      expect(await keysIn(strata.stores.get('hot')!)).toEqual([]);
    } finally {
      await strata.close();
    }
    expect(await checkAll(env, all)).toEqual(all.map(() => 'warm'));
  });
});

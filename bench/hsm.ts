/**
 * HSM migration throughput: N generated instances of S bytes stored by STOW into an fs hot
 * tier, then ONE cycle moves them all to an fs warm tier (copy, read-back verify, switch,
 * source delete) with concurrency C. Prints instances/s, MiB/s and the cycle's duration, then
 * the time of `verify` with and without checksums. PGlite, or PostgreSQL when DATABASE_URL is
 * set (use an empty database: verify counts every instance in it).
 *
 *   node --import tsx bench/hsm.ts [N=400] [S=524288] [C=4]
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStrata } from '../src/compose.js';
import { loadConfig } from '../src/config/config.js';
import { FakeClock } from '../src/lib/clock.js';
import { makeInstance, newUid } from '../test/helpers/make-dicom.js';
import { multipartRelated } from '../test/helpers/multipart.js';

const [n = '400', size = '524288', concurrency = '4'] = process.argv.slice(2);
const total = Number(n);
const MiB = 1024 * 1024;

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'strata-bench-hsm-'));
  const configPath = join(dir, 'strata.json');
  await writeFile(
    configPath,
    JSON.stringify({
      tiers: [
        { name: 'hot', backend: { kind: 'fs', root: 'hot' } },
        { name: 'warm', backend: { kind: 'fs', root: 'warm' } },
      ],
      policies: [
        {
          from: 'hot',
          to: 'warm',
          afterDaysSinceStored: 1,
          maxInstancesPerCycle: total,
          concurrency: Number(concurrency),
        },
      ],
      migration: { intervalSeconds: 0, leaseSeconds: 3600 },
    }),
  );
  const clock = new FakeClock();
  const strata = await startStrata(
    loadConfig({
      ...process.env,
      DATA_DIR: join(dir, 'data'),
      STRATA_CONFIG: configPath,
      PORT: '0',
      LOG_LEVEL: 'warn',
      SWEEP_INTERVAL_SECONDS: '0',
      SWEEP_DELETE_GRACE_SECONDS: '0',
    }),
    { clock },
  );
  try {
    const study = newUid();
    for (let stored = 0; stored < total; stored += 20) {
      const parts = Array.from({ length: Math.min(20, total - stored) }, () => ({
        body: makeInstance({ studyInstanceUid: study, pixelBytes: Number(size) }).bytes,
      }));
      const { body, contentType } = multipartRelated(parts);
      const response = await fetch(`${strata.url}/dicom-web/studies`, {
        method: 'POST',
        headers: { 'Content-Type': contentType },
        body,
      });
      if (response.status !== 200) throw new Error(`STOW answered ${response.status}`);
    }
    clock.advanceDays(2);
    const report = await strata.services.maintenance.hsm.runCycle('cli');
    const seconds = report.durationMs / 1000;
    console.log(
      `hsm cycle (${strata.database.driver}): ${report.migrated}/${total} instances, ` +
        `${(report.bytes / MiB).toFixed(1)} MiB in ${seconds.toFixed(2)} s → ` +
        `${(report.migrated / seconds).toFixed(1)} instances/s, ${(report.bytes / MiB / seconds).toFixed(1)} MiB/s ` +
        `(concurrency ${concurrency}, failed ${report.failed}, RSS ${(process.memoryUsage().rss / MiB).toFixed(0)} MiB)`,
    );
    for (const checksums of [true, false]) {
      const started = performance.now();
      const result = await strata.services.maintenance.verify.run({
        checksums,
        removeOrphans: false,
        concurrency: 8,
      });
      const ms = performance.now() - started;
      console.log(
        `verify ${checksums ? 'with' : 'without'} checksums: ${result.instances} instances in ${(ms / 1000).toFixed(2)} s (ok ${result.ok})`,
      );
    }
  } finally {
    await strata.close();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();

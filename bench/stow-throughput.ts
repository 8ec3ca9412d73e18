/**
 * STOW-RS throughput: N generated 512x512 16-bit instances (≈512 KiB each) sent in requests of
 * B parts with C requests in flight. Runs against a Strata it starts (PGlite, or PostgreSQL when
 * DATABASE_URL is set) or against any DICOMweb root given as the first argument.
 *
 *   node --import tsx bench/stow-throughput.ts [baseUrl] [N=400] [B=10] [C=4]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStrata } from '../src/compose.js';
import { loadConfig } from '../src/config/config.js';
import { makeInstance, newUid } from '../test/helpers/make-dicom.js';
import { multipartRelated } from '../test/helpers/multipart.js';

const [given, n = '400', batch = '10', concurrency = '4'] = process.argv.slice(2);
const total = Number(n);
const perRequest = Number(batch);
const inFlight = Number(concurrency);

async function main(): Promise<void> {
  let base = given && given !== '-' ? given.replace(/\/+$/, '') : undefined;
  let cleanup = async () => {};
  if (!base) {
    const dataDir = await mkdtemp(join(tmpdir(), 'strata-bench-'));
    const strata = await startStrata(
      loadConfig({
        ...process.env,
        DATA_DIR: dataDir,
        PORT: '0',
        LOG_LEVEL: 'warn',
        RATE_LIMIT_EXPENSIVE_PER_MINUTE: '0',
      }),
    );
    base = `${strata.url}/dicom-web`;
    cleanup = async () => {
      await strata.close();
      await rm(dataDir, { recursive: true, force: true });
    };
  }

  const study = newUid();
  const series = newUid();
  const bodies = Array.from({ length: Math.ceil(total / perRequest) }, (_, r) =>
    multipartRelated(
      Array.from({ length: Math.min(perRequest, total - r * perRequest) }, () => ({
        body: makeInstance({
          studyInstanceUid: study,
          seriesInstanceUid: series,
          pixelBytes: 512 * 512 * 2,
        }).bytes,
      })),
    ),
  );
  const bytes = bodies.reduce((sum, b) => sum + b.body.length, 0);
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < bodies.length) {
        const { body, contentType } = bodies[next++]!;
        const t0 = performance.now();
        const response = await fetch(`${base}/studies`, {
          method: 'POST',
          headers: { 'Content-Type': contentType, Accept: 'application/dicom+json' },
          body,
        });
        await response.arrayBuffer();
        if (response.status !== 200) throw new Error(`STOW answered ${response.status}`);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  await cleanup();
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => Math.round(latencies[Math.floor((latencies.length - 1) * p)]!);
  console.log(
    JSON.stringify({
      bench: 'stow-throughput',
      target:
        given && given !== '-'
          ? given
          : `strata (${process.env['DATABASE_URL'] ? 'postgres' : 'pglite'})`,
      instances: total,
      partsPerRequest: perRequest,
      inFlight,
      seconds: Number(seconds.toFixed(2)),
      instancesPerSecond: Math.round(total / seconds),
      MiBps: Number((bytes / 1024 / 1024 / seconds).toFixed(1)),
      requestP50ms: pct(0.5),
      requestP95ms: pct(0.95),
    }),
  );
}

await main();

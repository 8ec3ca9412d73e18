/**
 * Event-loop responsiveness while large images render: stores one 8000×8000 16-bit frame
 * (128 MB of native pixel data), fires N parallel `…/rendered` requests (image/jpeg, full
 * size), and meanwhile polls `/healthz` one request after another and samples the server's
 * event-loop delay (perf_hooks.monitorEventLoopDelay). The server runs in this process, so the
 * delay measured is the server's own loop. Prints delay p50/p99/max, /healthz latency and the
 * peak RSS. Runs against a Strata it starts (PGlite, or PostgreSQL when DATABASE_URL is set).
 *
 *   node --import tsx bench/render-eventloop.ts [N=20] [SIDE=8000]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { startStrata } from '../src/compose.js';
import { loadConfig } from '../src/config/config.js';
import { makeInstance } from '../test/helpers/make-dicom.js';
import { multipartRelated } from '../test/helpers/multipart.js';

const [n = '20', side = '8000'] = process.argv.slice(2);
const parallel = Number(n);
const SIDE = Number(side);

const pct = (sorted: number[], p: number) =>
  Math.round((sorted[Math.floor((sorted.length - 1) * p)] ?? 0) * 10) / 10;
const ms = (ns: number) => Math.round(ns / 1e5) / 10;

/**
 * One GET on a fresh connection (no keep-alive reuse, no client-side timeout: fetch gives up
 * on headers after 300 s, which queued renders of a loaded machine can exceed); the status.
 */
function request(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    get(url, { agent: false, headers }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0)).on('error', reject);
    }).on('error', reject);
  });
}

async function main(): Promise<void> {
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
  const base = `${strata.url}/dicom-web`;
  try {
    const image = makeInstance({ pixelBytes: SIDE * SIDE * 2 });
    const { body, contentType } = multipartRelated([{ body: image.bytes }]);
    const stored = await fetch(`${base}/studies`, {
      method: 'POST',
      headers: { 'Content-Type': contentType },
      body,
    });
    if (stored.status !== 200) throw new Error(`STOW answered ${stored.status}`);
    const rendered = `${base}/studies/${image.studyInstanceUid}/series/${image.seriesInstanceUid}/instances/${image.sopInstanceUid}/rendered`;

    const delay = monitorEventLoopDelay({ resolution: 10 });
    let done = false;
    let peakRss = process.memoryUsage.rss();
    const health: number[] = [];
    const poll = (async () => {
      while (!done) {
        const t0 = performance.now();
        await request(`${strata.url}/healthz`);
        health.push(performance.now() - t0);
        peakRss = Math.max(peakRss, process.memoryUsage.rss());
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
    delay.enable();
    const t0 = performance.now();
    const statuses = await Promise.all(
      Array.from({ length: parallel }, () =>
        request(rendered, { Accept: 'image/jpeg' }).then(
          String,
          (error: unknown) => (error as { code?: string }).code ?? 'error',
        ),
      ),
    );
    const wall = performance.now() - t0;
    delay.disable();
    done = true;
    await poll;
    health.sort((a, b) => a - b);
    const counts: Record<string, number> = {};
    for (const s of statuses) counts[s] = (counts[s] ?? 0) + 1;
    const result = {
      bench: 'render-eventloop',
      target: `strata (${process.env['DATABASE_URL'] ? 'postgres' : 'pglite'})`,
      frame: `${SIDE}x${SIDE} 16-bit`,
      parallel,
      statuses: counts,
      wallMs: Math.round(wall),
      eventLoopDelayMs: {
        p50: ms(delay.percentile(50)),
        p99: ms(delay.percentile(99)),
        max: ms(delay.max),
      },
      healthzMs: {
        n: health.length,
        p50: pct(health, 0.5),
        p99: pct(health, 0.99),
        max: pct(health, 1),
      },
      peakRssMiB: Math.round(peakRss / 2 ** 20),
    };
    console.log(JSON.stringify(result));
  } finally {
    await strata.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

await main();

/**
 * WADO-RS rendered: GET `…/instances/{i}/rendered` (image/jpeg) of one 512×512 16-bit signed
 * CT frame (rescale −1024, a soft-tissue window in the dataset), sequentially, over HTTP.
 * Also a thumbnail (cached after the first) and a rendered request with a `window` parameter.
 * Runs against a Strata it starts (PGlite, or PostgreSQL when DATABASE_URL is set).
 *
 *   node --import tsx bench/rendered.ts [N=200]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStrata } from '../src/compose.js';
import { loadConfig } from '../src/config/config.js';
import { makeInstance } from '../test/helpers/make-dicom.js';
import { multipartRelated } from '../test/helpers/multipart.js';

const [n = '200'] = process.argv.slice(2);
const rounds = Number(n);
const SIDE = 512;

/** A CT-like phantom: air outside a water disc with a bone ring and a soft-tissue gradient. */
function phantom(): Buffer {
  const pixels = Buffer.alloc(SIDE * SIDE * 2);
  for (let y = 0; y < SIDE; y++) {
    for (let x = 0; x < SIDE; x++) {
      const r = Math.hypot(x - SIDE / 2, y - SIDE / 2);
      let hu = -1000;
      if (r < 200) hu = 40 + Math.round(((x - y) / SIDE) * 80);
      if (r >= 180 && r < 200) hu = 1200;
      pixels.writeInt16LE(hu + 1024, (y * SIDE + x) * 2);
    }
  }
  return pixels;
}

const u16 = (v: number) => Buffer.from([v & 0xff, v >> 8]);

async function timed(url: string, accept: string): Promise<number[]> {
  const latencies: number[] = [];
  for (let i = 0; i < rounds + 10; i++) {
    const t0 = performance.now();
    const response = await fetch(url, { headers: { Accept: accept } });
    await response.arrayBuffer();
    if (response.status !== 200) throw new Error(`rendered answered ${response.status}`);
    if (i >= 10) latencies.push(performance.now() - t0); // 10 warm-up requests
  }
  return latencies.sort((a, b) => a - b);
}

const pct = (sorted: number[], p: number) =>
  Math.round(sorted[Math.floor((sorted.length - 1) * p)]! * 10) / 10;

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
    const ct = makeInstance({
      elements: {
        '00280010': { vr: 'US', value: u16(SIDE) },
        '00280011': { vr: 'US', value: u16(SIDE) },
        '00280103': { vr: 'US', value: u16(1) },
        '00281050': { vr: 'DS', value: '40' },
        '00281051': { vr: 'DS', value: '400' },
        '00281052': { vr: 'DS', value: '-1024' },
        '00281053': { vr: 'DS', value: '1' },
        '7FE00010': { vr: 'OW', value: phantom() },
      },
    });
    const { body, contentType } = multipartRelated([{ body: ct.bytes }]);
    const stored = await fetch(`${base}/studies`, {
      method: 'POST',
      headers: { 'Content-Type': contentType },
      body,
    });
    if (stored.status !== 200) throw new Error(`STOW answered ${stored.status}`);
    const instance = `${base}/studies/${ct.studyInstanceUid}/series/${ct.seriesInstanceUid}/instances/${ct.sopInstanceUid}`;
    const results: Record<string, { p50: number; p95: number }> = {};
    for (const [name, url, accept] of [
      ['rendered-jpeg', `${instance}/rendered`, 'image/jpeg'],
      ['rendered-jpeg-window', `${instance}/rendered?window=300,1500,linear`, 'image/jpeg'],
      ['rendered-png', `${instance}/rendered`, 'image/png'],
      ['thumbnail-cached', `${instance}/thumbnail`, 'image/jpeg'],
    ] as const) {
      const sorted = await timed(url, accept);
      results[name] = { p50: pct(sorted, 0.5), p95: pct(sorted, 0.95) };
    }
    console.log(
      JSON.stringify({
        bench: 'rendered',
        target: `strata (${process.env['DATABASE_URL'] ? 'postgres' : 'pglite'})`,
        frame: '512x512 16-bit signed CT',
        requests: rounds,
        ms: results,
      }),
    );
    for (const [name, { p50, p95 }] of Object.entries(results))
      console.log(
        `${name.padEnd(22)} p50 ${String(p50).padStart(7)} ms  p95 ${String(p95).padStart(7)} ms${name === 'rendered-jpeg' ? '  (target p50 < 30 ms)' : ''}`,
      );
  } finally {
    await strata.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

await main();

/**
 * WADO-RS speed (issue #4): series metadata of a 500-instance series, a single native frame,
 * retrieve of a 100-instance series, and instance streaming throughput against a plain Node
 * HTTP server sending the same bytes from files. Starts its own Strata (PGlite, or PostgreSQL
 * when DATABASE_URL is set).
 *
 *   node --import tsx bench/wado.ts [metadataRuns=50] [frameRuns=1000]
 *
 * Latencies are of a warm server (JIT and pools warmed by the first requests): a frame is timed
 * after 300 unmeasured requests, as a viewer scrolling a series would see it.
 */
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStrata } from '../src/compose.js';
import { loadConfig } from '../src/config/config.js';
import { makeInstance, newUid, type Elements } from '../test/helpers/make-dicom.js';
import { multipartRelated } from '../test/helpers/multipart.js';

const [metadataRuns = '50', frameRuns = '1000'] = process.argv.slice(2);

/** Header attributes of a typical CT (≈3 KB of DICOM JSON per instance). */
function ctLikeElements(n: number): Elements {
  const text = (s: string) => ({ vr: 'LO', value: s });
  return {
    '00080008': { vr: 'CS', value: 'ORIGINAL\\PRIMARY\\AXIAL' },
    '00080070': text('Bench Manufacturer'),
    '00081030': text('CT CHEST ABDOMEN PELVIS WITH CONTRAST'),
    '0008103E': text('AXIAL 1.25MM STANDARD'),
    '00081090': text('Bench Model 64'),
    '00180050': { vr: 'DS', value: '1.25' },
    '00180060': { vr: 'DS', value: '120' },
    '00181030': text('CHEST ABD PELVIS'),
    '00181100': { vr: 'DS', value: '380.0' },
    '00181150': { vr: 'IS', value: '741' },
    '00181151': { vr: 'IS', value: '220' },
    '00181210': { vr: 'SH', value: 'STANDARD' },
    '00200011': { vr: 'IS', value: '3' },
    '00200013': { vr: 'IS', value: String(n) },
    '00200032': { vr: 'DS', value: `-190.0\\-190.0\\${(-n * 1.25).toFixed(2)}` },
    '00200037': { vr: 'DS', value: '1\\0\\0\\0\\1\\0' },
    '00201041': { vr: 'DS', value: (-n * 1.25).toFixed(2) },
    '00281050': { vr: 'DS', value: '40' },
    '00281051': { vr: 'DS', value: '400' },
    '00281052': { vr: 'DS', value: '-1024' },
    '00281053': { vr: 'DS', value: '1' },
    '00321060': text('CT CHEST ABDOMEN PELVIS'),
    '00400254': text('CT CHEST ABDOMEN PELVIS WITH IV CONTRAST'),
  };
}

function percentiles(samples: number[]): { p50: number; p95: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (p: number) => Number(sorted[Math.floor((sorted.length - 1) * p)]!.toFixed(2));
  return { p50: at(0.5), p95: at(0.95) };
}

async function timed(runs: number, warmup: number, fn: () => Promise<void>): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn();
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    out.push(performance.now() - t0);
  }
  return out;
}

async function stowAll(base: string, bodies: Buffer[]): Promise<void> {
  for (let i = 0; i < bodies.length; i += 25) {
    const { body, contentType } = multipartRelated(
      bodies.slice(i, i + 25).map((b) => ({ body: b })),
    );
    const r = await fetch(`${base}/studies`, {
      method: 'POST',
      headers: { 'Content-Type': contentType },
      body,
    });
    await r.arrayBuffer();
    if (r.status !== 200) throw new Error(`STOW answered ${r.status}`);
  }
}

async function drain(url: string, accept: string): Promise<number> {
  const r = await fetch(url, { headers: { Accept: accept } });
  if (r.status !== 200) throw new Error(`${url} answered ${r.status}`);
  let bytes = 0;
  for await (const chunk of r.body as unknown as AsyncIterable<Uint8Array>) bytes += chunk.length;
  return bytes;
}

/** The same instance files, sent back to back as one multipart body by plain node:http. */
async function plainServer(files: string[]): Promise<{ server: Server; url: string }> {
  const boundary = 'plain-boundary-0123456789';
  const server = createServer((_, res) => {
    res.writeHead(200, { 'Content-Type': `multipart/related; boundary=${boundary}` });
    void (async () => {
      for (const file of files) {
        res.write(`\r\n--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`);
        for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 }))
          if (!res.write(chunk as Buffer)) await once(res, 'drain');
      }
      res.end(`\r\n--${boundary}--\r\n`);
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  return { server, url: `http://127.0.0.1:${address.port}/` };
}

async function main(): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'strata-bench-wado-'));
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
  const results: Record<string, unknown> = {
    bench: 'wado',
    db: process.env['DATABASE_URL'] ? 'postgres' : 'pglite',
  };
  try {
    // 1. Series metadata, 500 instances.
    const study = newUid();
    const series = newUid();
    await stowAll(
      base,
      Array.from(
        { length: 500 },
        (_, i) =>
          makeInstance({
            studyInstanceUid: study,
            seriesInstanceUid: series,
            elements: ctLikeElements(i + 1),
            pixelBytes: 2048,
          }).bytes,
      ),
    );
    const metadataUrl = `${base}/studies/${study}/series/${series}/metadata`;
    const metadataBytes = await drain(metadataUrl, 'application/dicom+json');
    results['seriesMetadata500'] = {
      bytes: metadataBytes,
      ...percentiles(
        await timed(Number(metadataRuns), 20, async () => {
          await drain(metadataUrl, 'application/dicom+json');
        }),
      ),
    };

    // 2. Single native frame of a 512x512 16-bit instance.
    const ct = makeInstance({ pixelBytes: 512 * 512 * 2 });
    await stowAll(base, [ct.bytes]);
    const frameUrl = `${base}/studies/${ct.studyInstanceUid}/series/${ct.seriesInstanceUid}/instances/${ct.sopInstanceUid}/frames/1`;
    results['singleNativeFrame'] = percentiles(
      await timed(Number(frameRuns), 300, async () => {
        await drain(
          frameUrl,
          'multipart/related; type=application/octet-stream; transfer-syntax=*',
        );
      }),
    );

    // 3. Retrieve of a 100-instance series (512x512x16 bit, ≈512 KiB each), and 4. the same
    // bytes from a plain node:http server reading the same files.
    const bigSeries = newUid();
    const instances = Array.from({ length: 100 }, () =>
      makeInstance({
        pixelBytes: 512 * 512 * 2,
        studyInstanceUid: study,
        seriesInstanceUid: bigSeries,
      }),
    );
    await stowAll(
      base,
      instances.map((i) => i.bytes),
    );
    const seriesUrl = `${base}/studies/${study}/series/${bigSeries}`;
    const accept = 'multipart/related; type="application/dicom"; transfer-syntax=*';
    const files = await Promise.all(
      instances.map(async (instance, i) => {
        const file = join(dataDir, `plain-${i}.dcm`);
        await writeFile(file, instance.bytes);
        return file;
      }),
    );
    const plain = await plainServer(files);
    try {
      // Interleaved (Strata, plain, Strata, …) so that drift — GC, page cache, a noisy
      // neighbour — weighs on both sides alike; 30 runs each after warm-up.
      let strataBytes = 0;
      let plainBytes = 0;
      const strataTimes: number[] = [];
      const plainTimes: number[] = [];
      for (let i = 0; i < 32; i++) {
        const [st] = await timed(1, 0, async () => {
          strataBytes = await drain(seriesUrl, accept);
        });
        const [pt] = await timed(1, 0, async () => {
          plainBytes = await drain(plain.url, accept);
        });
        if (i < 2) continue;
        strataTimes.push(st!);
        plainTimes.push(pt!);
      }
      const mbps = (bytes: number, ms: number) => Number((bytes / 1e6 / (ms / 1000)).toFixed(1));
      const s = percentiles(strataTimes);
      const p = percentiles(plainTimes);
      results['series100Retrieve'] = { bytes: strataBytes, ...s, MBps: mbps(strataBytes, s.p50) };
      results['plainNodeHttp'] = { bytes: plainBytes, ...p, MBps: mbps(plainBytes, p.p50) };
      results['throughputRatio'] = Number(
        (mbps(strataBytes, s.p50) / mbps(plainBytes, p.p50)).toFixed(2),
      );
    } finally {
      plain.server.close();
    }
  } finally {
    await strata.close();
    await rm(dataDir, { recursive: true, force: true });
  }
  console.log(JSON.stringify(results, null, 2));
  console.log(summary(results));
}

/** The figures against the targets of issue #4, one line each, for the closing note. */
function summary(results: Record<string, unknown>): string {
  type Timing = { p50: number; p95: number; MBps?: number; bytes?: number };
  const t = (key: string) => results[key] as Timing | undefined;
  const line = (label: string, timing: Timing | undefined, target: string) =>
    timing
      ? `${label.padEnd(34)} p50 ${String(timing.p50).padStart(8)} ms  p95 ${String(timing.p95).padStart(8)} ms${timing.MBps !== undefined ? `  ${timing.MBps} MB/s` : ''}  ${target}`
      : `${label}: not measured`;
  return [
    '',
    line('series metadata, 500 instances', t('seriesMetadata500'), '(target p50 < 50 ms)'),
    line('single native frame 512x512x16', t('singleNativeFrame'), '(target p50 < 5 ms)'),
    line('retrieve 100-instance series', t('series100Retrieve'), ''),
    line('plain node:http, same bytes', t('plainNodeHttp'), ''),
    `${'instance streaming vs plain'.padEnd(34)} ${String(results['throughputRatio'])} of plain throughput (target > 0.70)`,
  ].join('\n');
}

await main();

/**
 * Where a rendered request with a new window goes (issue #13): one Strata in this process
 * (PGlite, or PostgreSQL when DATABASE_URL is set), one 512×512 16-bit CT, then each step of
 * services/retrieve-rendered.ts timed on its own, N times, medians printed, beside the whole
 * request over HTTP with a new `window` each time. A probe, not a benchmark of record: the
 * spans call the service's private dependencies directly.
 *
 *   node --import tsx bench/rendered-spans.ts [N=200]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStrata } from '../src/compose.js';
import { loadConfig } from '../src/config/config.js';
import { decodeFrame } from '../src/imaging/decode.js';
import { grayFrameOf, windowGray } from '../src/imaging/gray-frame.js';
import { pixelDescriptionOf } from '../src/imaging/pixel-description.js';
import { encodeImage, toDisplay } from '../src/imaging/render.js';
import type { RetrieveRenderedDeps } from '../src/services/retrieve-rendered.js';
import type { StoredInstance } from '../src/services/stored-instance.js';
import { makeInstance } from '../test/helpers/make-dicom.js';
import { multipartRelated } from '../test/helpers/multipart.js';

const N = Number(process.argv[2] ?? '200');
const SIDE = 512;
const u16 = (v: number) => Buffer.from([v & 0xff, v >> 8]);

function phantom(): Buffer {
  const pixels = Buffer.alloc(SIDE * SIDE * 2);
  for (let y = 0; y < SIDE; y++)
    for (let x = 0; x < SIDE; x++) {
      const r = Math.hypot(x - SIDE / 2, y - SIDE / 2);
      let hu = -1000;
      if (r < 200) hu = 40 + Math.round(((x - y) / SIDE) * 80);
      if (r >= 180 && r < 200) hu = 1200;
      pixels.writeInt16LE(hu + 1024, (y * SIDE + x) * 2);
    }
  return pixels;
}

/** SPANS=substring runs only the spans whose name contains it (e.g. under --cpu-prof). */
const ONLY = process.env['SPANS'];

async function span(name: string, fn: (i: number) => Promise<unknown>): Promise<void> {
  if (ONLY && !name.includes(ONLY)) return;
  for (let i = 0; i < 10; i++) await fn(i);
  const times: number[] = [];
  const cpu0 = process.cpuUsage();
  const start = process.hrtime.bigint() / 1000n;
  for (let i = 0; i < N; i++) {
    const t0 = performance.now();
    await fn(i);
    times.push(performance.now() - t0);
  }
  const cpu = process.cpuUsage(cpu0);
  // Monotonic µs, the clock of --cpu-prof sample times: to cut a profile to this span.
  if (process.env['SPANS_CLOCK'])
    console.log(`${name}: ${start}–${process.hrtime.bigint() / 1000n} µs`);
  times.sort((a, b) => a - b);
  const p50 = times[Math.floor((times.length - 1) / 2)] ?? 0;
  const cpuMs = (cpu.user + cpu.system) / 1000 / N;
  console.log(
    `${name.padEnd(34)} p50 ${p50.toFixed(2).padStart(7)} ms  process CPU ${cpuMs.toFixed(2).padStart(6)} ms/op`,
  );
}

const dataDir = await mkdtemp(join(tmpdir(), 'strata-spans-'));
const strata = await startStrata(
  loadConfig({
    ...process.env,
    DATA_DIR: dataDir,
    PORT: '0',
    LOG_LEVEL: 'warn',
    RATE_LIMIT_EXPENSIVE_PER_MINUTE: '0',
  }),
);
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
  const base = `${strata.url}/dicom-web`;
  const { body, contentType } = multipartRelated([{ body: ct.bytes }]);
  const stored = await fetch(`${base}/studies`, {
    method: 'POST',
    headers: { 'Content-Type': contentType },
    body,
  });
  if (stored.status !== 200) throw new Error(`STOW answered ${stored.status}`);
  const url = `${base}/studies/${ct.studyInstanceUid}/series/${ct.seriesInstanceUid}/instances/${ct.sopInstanceUid}/rendered`;
  const scope = {
    study: ct.studyInstanceUid,
    series: ct.seriesInstanceUid,
    instance: ct.sopInstanceUid,
  };
  const deps = (strata.services.retrieve.rendered as unknown as { deps: RetrieveRenderedDeps })
    .deps;
  const [row] = await deps.lookup.findRows(scope);
  let instance: StoredInstance | undefined;
  for await (const batch of deps.lookup.withMetadata([row!])) instance = batch[0];
  const description = pixelDescriptionOf(instance!.metadata);
  const [frame] = await deps.frames.readFrames(instance!, [1]);
  const decoded = await decodeFrame(
    new Uint8Array(frame!),
    instance!.transferSyntaxUid,
    description,
  );
  const image = toDisplay(decoded, instance!.metadata, {});
  let width = 400 + Math.floor(Math.random() * 1e6);

  await span('HTTP rendered, new window each', async () => {
    const r = await fetch(`${url}?window=40,${width++},linear`, {
      headers: { Accept: 'image/jpeg' },
    });
    await r.arrayBuffer();
    if (r.status !== 200) throw new Error(String(r.status));
  });
  await span('HTTP rendered, same request', async () => {
    const r = await fetch(url, { headers: { Accept: 'image/jpeg' } });
    await r.arrayBuffer();
  });
  await span('index: scope rows', () => deps.lookup.findRows(scope));
  await span('index: metadata', async () => {
    for await (const b of deps.lookup.withMetadata([row!])) void b;
  });
  await span('frame read (512 KiB)', () => deps.frames.readFrames(instance!, [1]));
  await span('worker: display (copy, round trip)', () =>
    deps.imaging.use((w) =>
      w.display({
        frame: new Uint8Array(frame!),
        transferSyntaxUid: instance!.transferSyntaxUid,
        description,
        dataset: instance!.metadata,
        window: { center: 40, width: width++, function: 'LINEAR' },
      }),
    ),
  );
  await span('in-thread: decode', () =>
    decodeFrame(new Uint8Array(frame!), instance!.transferSyntaxUid, description),
  );
  await span('in-thread: decode + window (toDisplay)', () =>
    Promise.resolve(
      toDisplay(decoded, instance!.metadata, {
        window: { center: 40, width: width++, function: 'LINEAR' },
      }),
    ),
  );
  const gray = grayFrameOf(decoded, instance!.metadata)!;
  await span('in-thread: window a kept frame', () =>
    Promise.resolve(windowGray(gray, { center: 40, width: width++, function: 'LINEAR' })),
  );
  await span('sharp: JPEG encode q90 (as served)', () =>
    encodeImage(image, { mediaType: 'image/jpeg' }),
  );
} finally {
  await strata.close();
  await rm(dataDir, { recursive: true, force: true });
}

/**
 * Strata beside Orthanc (issue #13): the same synthetic CT dataset loaded into each server, the
 * same workloads run against each in turn, round after round (interleaved, so drift — GC, page
 * cache, a noisy neighbour — weighs on every server alike), medians of the rounds printed with
 * the Strata/Orthanc ratio. Each server runs in its own process, started and stopped here:
 *
 * - Strata on PGlite (always) and on PostgreSQL when BENCH_DATABASE_URL is set (the database is
 *   emptied first: give it one of its own);
 * - Orthanc (`Orthanc` on PATH with the DICOMweb plugin, e.g. Debian `orthanc orthanc-dicomweb`)
 *   with a temporary configuration: HTTP on a free loopback port, no DICOM port, no
 *   authentication, storage and index in a temporary directory. Without it, Strata only.
 *
 *   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench node --import tsx bench/compare.ts [rounds=5] [only=retrieve,instance,…]
 *
 * Throughputs are instances per second (higher is better), latencies milliseconds (lower is
 * better); "ratio" is Strata/Orthanc in the sense where > 1 means Strata is better.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeInstance, newUid, type Elements } from '../test/helpers/make-dicom.js';
import { multipartRelated } from '../test/helpers/multipart.js';

const [roundsArg = '5', onlyArg = ''] = process.argv.slice(2);
const ROUNDS = Number(roundsArg);
const ONLY = new Set(onlyArg.split(',').filter(Boolean));
const SIDE = 512;

interface Server {
  name: string;
  base: string;
  /** The server's process, for its CPU time (every thread: Strata's imaging workers, sharp's). */
  pid: number | undefined;
  stop(): Promise<void>;
}

/** CPU milliseconds (user + system) the process has used, from /proc (Linux); NaN elsewhere. */
async function cpuMs(pid: number | undefined): Promise<number> {
  if (pid === undefined) return NaN;
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): utime and stime are 14th and 15th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return NaN;
  }
}

/** USER_HZ: the unit of /proc/<pid>/stat times (100 on Linux). */
const CLOCK_TICKS = 100;

/** GETs a workload has issued (drain): the denominator of CPU per request. */
let requestCount = 0;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function waitFor(url: string, child: ChildProcess, name: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}`);
    try {
      const r = await fetch(url);
      await r.arrayBuffer();
      if (r.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${name} did not start`);
}

function stopper(child: ChildProcess, dir: string): () => Promise<void> {
  return async () => {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
}

async function startStrata(name: string, databaseUrl?: string): Promise<Server> {
  const dir = await mkdtemp(join(tmpdir(), 'strata-compare-'));
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATA_DIR: dir,
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    // Benches measure the server, not its per-client rate limit.
    RATE_LIMIT_EXPENSIVE_PER_MINUTE: '0',
  };
  delete env['DATABASE_URL'];
  if (databaseUrl) {
    env['DATABASE_URL'] = databaseUrl;
    await emptyDatabase(databaseUrl);
  }
  const child = spawn(
    process.execPath,
    [
      ...(process.env['BENCH_NODE_ARGS']?.split(' ').filter(Boolean) ?? []),
      'bin/strata.js',
      'serve',
    ],
    {
      env,
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  await waitFor(`http://127.0.0.1:${port}/healthz`, child, name);
  return {
    name,
    base: `http://127.0.0.1:${port}/dicom-web`,
    pid: child.pid,
    stop: stopper(child, dir),
  };
}

async function emptyDatabase(url: string): Promise<void> {
  const { default: postgres } = await import('postgres');
  const sql = postgres(url, { onnotice: () => undefined });
  try {
    await sql.unsafe('DROP SCHEMA public CASCADE; CREATE SCHEMA public;');
    await sql.unsafe('DROP SCHEMA IF EXISTS drizzle CASCADE;');
  } finally {
    await sql.end();
  }
}

async function startOrthanc(): Promise<Server | undefined> {
  const dir = await mkdtemp(join(tmpdir(), 'orthanc-compare-'));
  const port = await freePort();
  const config = {
    Name: 'bench',
    HttpPort: port,
    DicomServerEnabled: false,
    RemoteAccessAllowed: false,
    AuthenticationEnabled: false,
    StorageDirectory: join(dir, 'storage'),
    IndexDirectory: join(dir, 'index'),
    Plugins: ['/usr/share/orthanc/plugins/libOrthancDicomWeb.so'],
    DicomWeb: { Enable: true, Root: '/dicom-web/', EnableWado: false },
  };
  await writeFile(join(dir, 'orthanc.json'), JSON.stringify(config));
  const child = spawn('Orthanc', [join(dir, 'orthanc.json')], { stdio: 'ignore' });
  const spawned = await new Promise<boolean>((resolve) => {
    child.once('spawn', () => resolve(true));
    child.once('error', () => resolve(false));
  });
  if (!spawned) {
    await rm(dir, { recursive: true, force: true });
    return undefined;
  }
  await waitFor(`http://127.0.0.1:${port}/system`, child, 'Orthanc');
  return {
    name: 'orthanc',
    base: `http://127.0.0.1:${port}/dicom-web`,
    pid: child.pid,
    stop: stopper(child, dir),
  };
}

/** A CT-like phantom: air outside a water disc with a bone ring and a soft-tissue gradient. */
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

const PHANTOM = phantom();

/** Header attributes of a typical CT (≈3 KB of DICOM JSON per instance). */
function ctElements(n: number, pixels: boolean): Elements {
  const text = (s: string) => ({ vr: 'LO', value: s });
  const u16 = (v: number) => Buffer.from([v & 0xff, v >> 8]);
  return {
    '00080008': { vr: 'CS', value: 'ORIGINAL\\PRIMARY\\AXIAL' },
    '00080070': text('Bench Manufacturer'),
    '00081030': text('CT CHEST ABDOMEN PELVIS WITH CONTRAST'),
    '0008103E': text('AXIAL 1.25MM STANDARD'),
    '00180050': { vr: 'DS', value: '1.25' },
    '00180060': { vr: 'DS', value: '120' },
    '00200013': { vr: 'IS', value: String(n) },
    '00200032': { vr: 'DS', value: `-190.0\\-190.0\\${(-n * 1.25).toFixed(2)}` },
    '00200037': { vr: 'DS', value: '1\\0\\0\\0\\1\\0' },
    '00281050': { vr: 'DS', value: '40' },
    '00281051': { vr: 'DS', value: '400' },
    '00281052': { vr: 'DS', value: '-1024' },
    '00281053': { vr: 'DS', value: '1' },
    ...(pixels
      ? {
          '00280010': { vr: 'US', value: u16(SIDE) },
          '00280011': { vr: 'US', value: u16(SIDE) },
          '00280103': { vr: 'US', value: u16(1) },
          '7FE00010': { vr: 'OW', value: PHANTOM },
        }
      : {}),
  };
}

interface Uids {
  study: string;
  series: string;
}

function ctSeries(count: number, big: boolean, patientId: string): { uids: Uids; bytes: Buffer[] } {
  const uids = { study: newUid(), series: newUid() };
  const bytes = Array.from(
    { length: count },
    (_, i) =>
      makeInstance({
        studyInstanceUid: uids.study,
        seriesInstanceUid: uids.series,
        patientId,
        elements: ctElements(i + 1, big),
        pixelBytes: big ? SIDE * SIDE * 2 : 2048,
      }).bytes,
  );
  return { uids, bytes };
}

async function stow(base: string, bodies: Buffer[]): Promise<void> {
  const { body, contentType } = multipartRelated(bodies.map((b) => ({ body: b })));
  const r = await fetch(`${base}/studies`, {
    method: 'POST',
    headers: { 'Content-Type': contentType, Accept: 'application/dicom+json' },
    body,
  });
  await r.arrayBuffer();
  if (r.status !== 200) throw new Error(`STOW answered ${r.status}`);
}

/** `bodies` stored `perRequest` at a time by `clients` concurrent clients; instances/s. */
async function stowRate(base: string, bodies: Buffer[], perRequest: number, clients: number) {
  const batches: Buffer[][] = [];
  for (let i = 0; i < bodies.length; i += perRequest) batches.push(bodies.slice(i, i + perRequest));
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async () => {
      for (let batch = batches.shift(); batch; batch = batches.shift()) await stow(base, batch);
    }),
  );
  return bodies.length / ((performance.now() - t0) / 1000);
}

async function drain(url: string, accept: string): Promise<number> {
  requestCount++;
  const r = await fetch(url, { headers: { Accept: accept } });
  if (r.status !== 200) throw new Error(`${url} answered ${r.status}`);
  let bytes = 0;
  for await (const chunk of r.body as unknown as AsyncIterable<Uint8Array>) bytes += chunk.length;
  return bytes;
}

async function latencies(runs: number, fn: () => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < 5; i++) await fn();
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    out.push(performance.now() - t0);
  }
  return out;
}

function pct(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) * p)]!;
}

interface Loaded {
  retrieve: Uids;
  metadata: Uids;
  one: { study: string; series: string; instance: string };
  patientId: string;
}

/** Loads the read dataset: a 100-instance 512×512 CT series, a 1,000-instance small series. */
async function load(server: Server, data: Datasets): Promise<Loaded> {
  for (let i = 0; i < data.retrieve.bytes.length; i += 20)
    await stow(server.base, data.retrieve.bytes.slice(i, i + 20));
  for (let i = 0; i < data.metadata.bytes.length; i += 50)
    await stow(server.base, data.metadata.bytes.slice(i, i + 50));
  return {
    retrieve: data.retrieve.uids,
    metadata: data.metadata.uids,
    one: { ...data.retrieve.uids, instance: data.oneInstance },
    patientId: data.patientId,
  };
}

interface Datasets {
  retrieve: { uids: Uids; bytes: Buffer[] };
  metadata: { uids: Uids; bytes: Buffer[] };
  oneInstance: string;
  patientId: string;
}

type Workload = {
  key: string;
  label: string;
  unit: 'inst/s' | 'ms';
  run: (server: Server, loaded: Loaded) => Promise<number>;
};

const ACCEPT_DICOM = 'multipart/related; type="application/dicom"; transfer-syntax=*';

const WORKLOADS: Workload[] = [
  {
    key: 'stow1',
    label: 'STOW 1/request, 1 client (512² CT)',
    unit: 'inst/s',
    run: (s) => stowRate(s.base, ctSeries(40, true, 'STOW-1').bytes, 1, 1),
  },
  {
    key: 'stow20',
    label: 'STOW 20/request, 4 clients (512² CT)',
    unit: 'inst/s',
    run: (s) => stowRate(s.base, ctSeries(160, true, 'STOW-20').bytes, 20, 4),
  },
  {
    key: 'stowSmall',
    label: 'STOW small (2 KB px) 1/request, 4 clients',
    unit: 'inst/s',
    run: (s) => stowRate(s.base, ctSeries(200, false, 'STOW-S').bytes, 1, 4),
  },
  {
    key: 'retrieve',
    label: 'WADO series retrieve 100 CT, 1 client',
    unit: 'inst/s',
    run: async (s, l) => {
      const url = `${s.base}/studies/${l.retrieve.study}/series/${l.retrieve.series}`;
      await drain(url, ACCEPT_DICOM);
      const times = await latencies(5, () => drain(url, ACCEPT_DICOM));
      return 100 / (pct(times, 0.5) / 1000);
    },
  },
  ...(['p50', 'p95'] as const).map((p): Workload => ({
    key: `instance${p}`,
    label: `WADO instance 512² CT ${p}`,
    unit: 'ms',
    run: async (s, l) => {
      const url = `${s.base}/studies/${l.one.study}/series/${l.one.series}/instances/${l.one.instance}`;
      const times = await latencies(200, () => drain(url, ACCEPT_DICOM));
      return pct(times, p === 'p50' ? 0.5 : 0.95);
    },
  })),
  {
    key: 'rendered',
    label: 'rendered JPEG 512² CT, same request, p50',
    unit: 'ms',
    run: async (s, l) => {
      const url = `${s.base}/studies/${l.one.study}/series/${l.one.series}/instances/${l.one.instance}/rendered`;
      return pct(await latencies(100, () => drain(url, 'image/jpeg')), 0.5);
    },
  },
  {
    // A new window width every request: no cache can answer, every request decodes and encodes.
    key: 'renderedMiss',
    label: 'rendered JPEG 512² CT, new window each, p50',
    unit: 'ms',
    run: async (s, l) => {
      const url = `${s.base}/studies/${l.one.study}/series/${l.one.series}/instances/${l.one.instance}/rendered`;
      let width = 400 + Math.floor(Math.random() * 1e6);
      return pct(
        await latencies(60, () => drain(`${url}?window=40,${width++},linear`, 'image/jpeg')),
        0.5,
      );
    },
  },
  {
    key: 'metadata',
    label: 'series metadata, 1,000 instances p50',
    unit: 'ms',
    run: async (s, l) => {
      const url = `${s.base}/studies/${l.metadata.study}/series/${l.metadata.series}/metadata`;
      return pct(await latencies(20, () => drain(url, 'application/dicom+json')), 0.5);
    },
  },
  {
    key: 'qido',
    label: 'QIDO studies?PatientID p50',
    unit: 'ms',
    run: async (s, l) => {
      const url = `${s.base}/studies?PatientID=${l.patientId}`;
      return pct(await latencies(100, () => drain(url, 'application/dicom+json')), 0.5);
    },
  },
];

function median(values: number[]): number {
  return pct(values, 0.5);
}

async function main(): Promise<void> {
  const servers: Server[] = [];
  try {
    servers.push(await startStrata('strata-pglite'));
    const pg = process.env['BENCH_DATABASE_URL'];
    if (pg) servers.push(await startStrata('strata-pg', pg));
    const orthanc = await startOrthanc();
    if (orthanc) servers.push(orthanc);
    else console.log('Orthanc is not installed (no `Orthanc` on PATH): Strata only.');

    const retrieve = ctSeries(100, true, 'READ-PID');
    const data: Datasets = {
      retrieve,
      metadata: ctSeries(1000, false, 'META-PID'),
      oneInstance: '',
      patientId: 'READ-PID',
    };
    data.oneInstance = readSop(retrieve.bytes[50]!);
    const loaded = new Map<string, Loaded>();
    for (const server of servers) loaded.set(server.name, await load(server, data));

    const workloads = WORKLOADS.filter(
      (w) =>
        ONLY.size === 0 ||
        ONLY.has(w.key) ||
        (w.key.startsWith('instance') && ONLY.has('instance')),
    );
    const figures = new Map<string, number[]>();
    const cpu = new Map<string, number[]>();
    for (let round = 0; round < ROUNDS; round++)
      for (const workload of workloads)
        for (const server of round % 2 ? [...servers].reverse() : servers) {
          const [cpu0, requests0] = [await cpuMs(server.pid), requestCount];
          const value = await workload.run(server, loaded.get(server.name)!);
          const perRequest = ((await cpuMs(server.pid)) - cpu0) / (requestCount - requests0);
          const key = `${workload.key}/${server.name}`;
          figures.set(key, [...(figures.get(key) ?? []), value]);
          cpu.set(key, [...(cpu.get(key) ?? []), perRequest]);
        }
    console.log(table(workloads, servers, figures));
    // The machine may be shared: CPU time per request is steadier than wall time under load
    // (10 ms resolution per reading, so only workloads of many requests give a useful figure).
    console.log(`\nserver CPU per GET (user + system, every thread), median of ${ROUNDS} rounds`);
    for (const workload of workloads)
      console.log(
        [
          workload.label.padEnd(44),
          ...servers.map((s) => {
            const v = median(cpu.get(`${workload.key}/${s.name}`) ?? [NaN]);
            return `${Number.isFinite(v) ? v.toFixed(2) : '–'} ms`.padStart(14);
          }),
        ].join(''),
      );
  } finally {
    for (const server of servers) await server.stop();
  }
}

function table(workloads: Workload[], servers: Server[], figures: Map<string, number[]>): string {
  const names = servers.map((s) => s.name);
  const hasOrthanc = names.includes('orthanc');
  const strata = names.filter((n) => n !== 'orthanc');
  const header = [
    'workload'.padEnd(44),
    ...names.map((n) => n.padStart(14)),
    ...(hasOrthanc ? strata.map((n) => `${n.replace('strata-', '')}/orthanc`.padStart(16)) : []),
  ].join('');
  const lines = workloads.map((w) => {
    const m = (name: string) => median(figures.get(`${w.key}/${name}`) ?? [NaN]);
    const cell = (v: number) => (w.unit === 'ms' ? `${v.toFixed(1)} ms` : `${v.toFixed(0)}/s`);
    const ratio = (name: string) => {
      const r = w.unit === 'ms' ? m('orthanc') / m(name) : m(name) / m('orthanc');
      return `${r.toFixed(2)}x`.padStart(16);
    };
    return [
      w.label.padEnd(44),
      ...names.map((n) => cell(m(n)).padStart(14)),
      ...(hasOrthanc ? strata.map(ratio) : []),
    ].join('');
  });
  return [
    `medians of ${ROUNDS} interleaved rounds; ratio > 1x: Strata better than Orthanc`,
    header,
    ...lines,
  ].join('\n');
}

/** The SOP Instance UID of a Part 10 made by makeInstance (0008,0018, explicit VR UI). */
function readSop(bytes: Buffer): string {
  const at = bytes.indexOf(Buffer.from([0x08, 0x00, 0x18, 0x00, 0x55, 0x49]), 132 + 12);
  const length = bytes.readUInt16LE(at + 6);
  return bytes
    .subarray(at + 8, at + 8 + length)
    .toString('latin1')
    .replace(/\0$/, '');
}

await main();

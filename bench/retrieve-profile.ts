/**
 * Where a WADO retrieve's server time goes (issue #13): Strata in this process, the client in a
 * child process (so the figures are the server's alone). Loads a 100-instance 512×512 CT series,
 * then for each workload prints the server's CPU per instance (process.cpuUsage), its garbage
 * collections (PerformanceObserver 'gc': minor/major counts and pause time), the client's
 * figures, and, with BENCH_PROFILE=dir, writes a V8 CPU profile of the workload and prints the
 * functions with the most self time.
 *
 *   node --import tsx bench/retrieve-profile.ts [seriesRuns=20] [instanceRuns=300]
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PerformanceObserver, constants as perfConstants } from 'node:perf_hooks';
import { startStrata } from '../src/compose.js';
import { loadConfig } from '../src/config/config.js';
import { makeInstance, newUid } from '../test/helpers/make-dicom.js';
import { multipartRelated } from '../test/helpers/multipart.js';

const [seriesRuns = '20', instanceRuns = '300'] = process.argv.slice(2);
const PROFILE_DIR = process.env['BENCH_PROFILE'];
const ACCEPT_SERIES = 'multipart/related; type="application/dicom"; transfer-syntax=*';

/** The client: `runs` GETs of `url`, each body read to the end; prints its latencies. */
const CLIENT = `
const [url, accept, runs] = process.argv.slice(1);
(async () => {
  const times = [];
  for (let i = 0; i < 5 + Number(runs); i++) {
    const t0 = performance.now();
    const r = await fetch(url, { headers: { Accept: accept } });
    for await (const chunk of r.body) void chunk;
    if (r.status !== 200) throw new Error('status ' + r.status);
    if (i >= 5) times.push(performance.now() - t0);
  }
  process.stdout.write(JSON.stringify(times));
})();
`;

function client(url: string, accept: string, runs: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', CLIENT, url, accept, String(runs)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.once('exit', (code) =>
      code === 0 ? resolve(JSON.parse(out) as number[]) : reject(new Error(`client ${code}`)),
    );
  });
}

function pct(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) * p)]!;
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

function topSelf(profile: { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] }) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    const frame = byId.get(id)!.callFrame;
    const where = frame.url.split('/').slice(-2).join('/');
    const key = `${frame.functionName || '(anonymous)'} ${where}:${frame.lineNumber}`;
    self.set(key, (self.get(key) ?? 0) + dt);
    total += dt;
  });
  const busy = total - (self.get('(idle) :-1') ?? 0);
  return [...self]
    .filter(([key]) => key !== '(idle) :-1')
    .sort((a, b) => b[1] - a[1])
    .slice(0, 25)
    .map(([key, t]) => `${((100 * t) / busy).toFixed(1).padStart(5)}%  ${key}`);
}

async function measure(name: string, url: string, accept: string, runs: number, perRun: number) {
  const gcs = { minor: 0, major: 0, pauseMs: 0 };
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = (entry as unknown as { detail: { kind: number } }).detail.kind;
      if (kind === perfConstants.NODE_PERFORMANCE_GC_MAJOR) gcs.major++;
      else gcs.minor++;
      gcs.pauseMs += entry.duration;
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  const session = new Session();
  if (PROFILE_DIR) {
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.start');
  }
  const cpu0 = process.cpuUsage();
  const times = await client(url, accept, runs);
  const cpu = process.cpuUsage(cpu0);
  observer.disconnect();
  const instances = (runs + 5) * perRun;
  console.log(
    JSON.stringify({
      workload: name,
      serverCpuUsPerInstance: Math.round((cpu.user + cpu.system) / instances),
      gcPerRun: {
        minor: +(gcs.minor / (runs + 5)).toFixed(2),
        major: +(gcs.major / (runs + 5)).toFixed(2),
      },
      gcPauseMsPerRun: +(gcs.pauseMs / (runs + 5)).toFixed(2),
      p50ms: +pct(times, 0.5).toFixed(2),
      p95ms: +pct(times, 0.95).toFixed(2),
      perSecond: Math.round(perRun / (pct(times, 0.5) / 1000)),
    }),
  );
  if (PROFILE_DIR) {
    const { profile } = await session.post('Profiler.stop');
    await writeFile(join(PROFILE_DIR, `${name}.cpuprofile`), JSON.stringify(profile));
    console.log(topSelf(profile as never).join('\n'));
    session.disconnect();
  }
}

async function main(): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'strata-bench-retrieve-'));
  const strata = await startStrata(
    loadConfig({
      ...process.env,
      DATA_DIR: dataDir,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      RATE_LIMIT_EXPENSIVE_PER_MINUTE: '0',
    }),
  );
  const base = `${strata.url}/dicom-web`;
  try {
    const study = newUid();
    const series = newUid();
    const made = Array.from({ length: 100 }, () =>
      makeInstance({
        studyInstanceUid: study,
        seriesInstanceUid: series,
        pixelBytes: 512 * 512 * 2,
      }),
    );
    for (let i = 0; i < made.length; i += 20) {
      const { body, contentType } = multipartRelated(
        made.slice(i, i + 20).map((m) => ({ body: m.bytes })),
      );
      const r = await fetch(`${base}/studies`, {
        method: 'POST',
        headers: { 'Content-Type': contentType, Accept: 'application/dicom+json' },
        body,
      });
      await r.arrayBuffer();
      if (r.status !== 200) throw new Error(`STOW answered ${r.status}`);
    }
    const seriesUrl = `${base}/studies/${study}/series/${series}`;
    await measure('series', seriesUrl, ACCEPT_SERIES, Number(seriesRuns), 100);
    const one = `${seriesUrl}/instances/${made[0]!.sopInstanceUid}`;
    await measure('instance', one, 'application/dicom; transfer-syntax=*', Number(instanceRuns), 1);
  } finally {
    await strata.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

await main();

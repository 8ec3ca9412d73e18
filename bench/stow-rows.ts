/**
 * STOW-RS rows of issue #13, against a Strata server in a child process so that its CPU time is
 * measured alone (from /proc/<pid>/stat; Linux only). Each row sends generated instances of one
 * series and prints instances per second and server CPU milliseconds per instance:
 *
 *   ct-1x1    CT ≈512 KiB, 1 instance per request, 1 client      (Orthanc: 115 inst/s)
 *   ct-20x4   CT ≈512 KiB, 20 instances per request, 4 clients   (Orthanc: 261 inst/s)
 *   small-20x4  ≈9 KiB,    20 instances per request, 4 clients   (Orthanc: 700 inst/s)
 *
 *   node --import tsx bench/stow-rows.ts [row…]
 *
 * PGlite in a fresh DATA_DIR unless DATABASE_URL is set (use a fresh database: rows accumulate).
 * STRATA_BENCH_PROF=dir adds `--cpu-prof --cpu-prof-dir=dir` to the server (written at exit).
 * STRATA_BENCH_SCALE multiplies the instance counts (default 1).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeInstance, newUid } from '../test/helpers/make-dicom.js';
import { multipartRelated } from '../test/helpers/multipart.js';

interface Row {
  name: string;
  pixelBytes: number;
  perRequest: number;
  clients: number;
  instances: number;
}

const ROWS: Row[] = [
  { name: 'ct-1x1', pixelBytes: 512 * 512 * 2, perRequest: 1, clients: 1, instances: 150 },
  { name: 'ct-20x4', pixelBytes: 512 * 512 * 2, perRequest: 20, clients: 4, instances: 400 },
  { name: 'small-20x4', pixelBytes: 8192, perRequest: 20, clients: 4, instances: 1600 },
];

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const scale = Number(process.env['STRATA_BENCH_SCALE'] ?? '1');

async function cpuMs(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of stat(5), in clock ticks (100 per second).
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

async function startServer(
  dataDir: string,
): Promise<{ base: string; pid: number; stop(): Promise<void> }> {
  const prof = process.env['STRATA_BENCH_PROF'];
  const args = [
    ...(prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : []),
    '--import',
    'tsx',
    'bench/stow-rows-server.ts',
  ];
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const base = await new Promise<string>((resolve, reject) => {
    let out = '';
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const match = /"dicomweb":"(http:[^"]+)"/.exec(out);
      if (match) resolve(match[1]!);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`server exited ${code}: ${out}`)));
  });
  // Warnings and errors of the server, for a run that went wrong.
  child.stdout.on('data', (chunk: Buffer) => process.stderr.write(chunk));
  child.stderr.on('data', (chunk: Buffer) => process.stderr.write(chunk));
  return {
    base,
    pid: child.pid!,
    stop: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

async function runRow(base: string, pid: number, row: Row): Promise<Record<string, unknown>> {
  const total = Math.round(row.instances * scale);
  const study = newUid();
  const series = newUid();
  const build = (count: number) =>
    Array.from({ length: Math.ceil(count / row.perRequest) }, (_, r) =>
      multipartRelated(
        Array.from({ length: Math.min(row.perRequest, count - r * row.perRequest) }, () => ({
          body: makeInstance({
            studyInstanceUid: study,
            seriesInstanceUid: series,
            pixelBytes: row.pixelBytes,
          }).bytes,
        })),
      ),
    );
  const send = async (bodies: ReturnType<typeof build>) => {
    let next = 0;
    await Promise.all(
      Array.from({ length: row.clients }, async () => {
        while (next < bodies.length) {
          const { body, contentType } = bodies[next++]!;
          const response = await fetch(`${base}/studies`, {
            method: 'POST',
            headers: { 'Content-Type': contentType, Accept: 'application/dicom+json' },
            body,
          });
          await response.arrayBuffer();
          if (response.status !== 200) throw new Error(`STOW answered ${response.status}`);
        }
      }),
    );
  };
  await send(build(Math.min(total, row.perRequest * row.clients * 2))); // warm-up
  const bodies = build(total);
  const cpu0 = await cpuMs(pid);
  const t0 = performance.now();
  await send(bodies);
  const seconds = (performance.now() - t0) / 1000;
  const cpu = (await cpuMs(pid)) - cpu0;
  return {
    row: row.name,
    instances: total,
    instancesPerSecond: Math.round(total / seconds),
    serverCpuMsPerInstance: Number((cpu / total).toFixed(2)),
    seconds: Number(seconds.toFixed(2)),
  };
}

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const rows = wanted.length ? ROWS.filter((r) => wanted.includes(r.name)) : ROWS;
  const dataDir = await mkdtemp(join(tmpdir(), 'strata-bench-'));
  const server = await startServer(dataDir);
  try {
    for (const row of rows) {
      const result = await runRow(server.base, server.pid, row);
      console.log(
        JSON.stringify({ index: process.env['DATABASE_URL'] ? 'postgres' : 'pglite', ...result }),
      );
    }
  } finally {
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

await main();

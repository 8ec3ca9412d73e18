/**
 * STOW-RS of one large instance (default 1 GiB), streamed from a generator so neither side ever
 * holds it whole. Reports throughput and the server's peak resident-memory growth (read from
 * /proc), the figure the foundation issue bounds at 200 MB.
 *
 *   node --import tsx bench/stow-large.ts [sizeMiB=1024]
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { makeInstance } from '../test/helpers/make-dicom.js';

const sizeMiB = Number(process.argv[2] ?? 1024);
const pixelBytes = sizeMiB * 1024 * 1024;

function rssKiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
}

/** The instance header with a pixel data element of `pixelBytes`, whose value is not included. */
function headerFor(bytes: number): Buffer {
  const small = makeInstance({ pixelBytes: 2 });
  const pixelTag = Buffer.from([0xe0, 0x7f, 0x10, 0x00, 0x4f, 0x57, 0, 0]);
  const at = small.bytes.lastIndexOf(pixelTag);
  const header = Buffer.from(small.bytes.subarray(0, at + 12));
  header.writeUInt32LE(bytes, at + 8);
  return header;
}

function* body(boundary: string): Generator<Buffer> {
  yield Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`);
  yield headerFor(pixelBytes);
  const chunk = randomBytes(1024 * 1024);
  for (let sent = 0; sent < pixelBytes; sent += chunk.length) {
    yield sent + chunk.length <= pixelBytes ? chunk : chunk.subarray(0, pixelBytes - sent);
  }
  yield Buffer.from(`\r\n--${boundary}--\r\n`);
}

async function main(): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'strata-bench-'));
  const server = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'serve'], {
    env: {
      ...process.env,
      DATA_DIR: dataDir,
      PORT: '0',
      LOG_LEVEL: 'info',
      STOW_MAX_INSTANCE_BYTES: String(pixelBytes + 1024 * 1024),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const base = await new Promise<string>((resolve, reject) => {
    let log = '';
    const onData = (chunk: Buffer) => {
      log += chunk.toString();
      const line = log.split('\n').find((l) => l.includes('"msg":"listening"'));
      if (line) resolve((JSON.parse(line) as { dicomweb: string }).dicomweb);
    };
    server.stderr.on('data', onData);
    server.once('exit', () => reject(new Error(`server exited:\n${log}`)));
  });
  const pid = server.pid!;
  const idle = rssKiB(pid);
  let peak = idle;
  const sampler = setInterval(() => (peak = Math.max(peak, rssKiB(pid))), 50);

  const boundary = `bench-${randomBytes(6).toString('hex')}`;
  const started = process.hrtime.bigint();
  const status = await new Promise<number>((resolve, reject) => {
    const req = request(`${base}/studies`, {
      method: 'POST',
      headers: {
        'Content-Type': `multipart/related; type="application/dicom"; boundary=${boundary}`,
      },
    });
    req.once('response', (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode ?? 0));
    });
    req.once('error', reject);
    pipeline(Readable.from(body(boundary)), req).catch(reject);
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  clearInterval(sampler);
  server.kill('SIGTERM');
  await new Promise((resolve) => server.once('exit', resolve));
  await rm(dataDir, { recursive: true, force: true });

  console.log(
    JSON.stringify(
      {
        bench: 'stow-large',
        sizeMiB,
        status,
        seconds: Number(seconds.toFixed(2)),
        throughputMiBs: Number((sizeMiB / seconds).toFixed(1)),
        serverRssIdleMiB: Math.round(idle / 1024),
        serverRssPeakMiB: Math.round(peak / 1024),
        serverRssGrowthMiB: Math.round((peak - idle) / 1024),
      },
      null,
      2,
    ),
  );
  if (status !== 200) process.exitCode = 1;
}

await main();

import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import dcmjs from 'dcmjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStrata } from '../src/compose.js';
import { loadConfig } from '../src/config/config.js';
import { dataSetOffset } from '../src/dimse/scu/send-instances.js';
import { createLogger } from '../src/lib/log.js';
import {
  freePort,
  requireTools,
  startPeer,
  strataCli,
  waitForPort,
} from './helpers/dimse-peers.js';
import { stow } from './helpers/multipart.js';
import { sampleBytes, samples, samplesAvailable } from './helpers/samples.js';
import { freshDatabase, testDb } from './helpers/server.js';

/**
 * #15 `strata send <AE> <study>`: C-STORE as an SCU to dcmtk's storescp. A study mixing
 * Explicit VR LE, JPEG Baseline and RLE goes byte for byte (data set after the File Meta group)
 * to a peer that accepts everything, and converted to an uncompressed syntax, attributes intact,
 * to a peer that accepts only uncompressed ones; an absent peer fails the command (exit 1).
 */
const STUDY = '1.2.826.0.1.3680043.8.498.12406831542731051035295345080039845114';
const ELE = '1.2.840.10008.1.2.1';
const IVR = '1.2.840.10008.1.2';
const run = samplesAvailable && requireTools('storescp');
const files = samples.filter((s) => s.study_instance === STUDY && s.expect === 'store');

let dir: string;
let database: Awaited<ReturnType<typeof freshDatabase>>;
let env: Record<string, string>;

beforeAll(async () => {
  if (!run) return;
  dir = await mkdtemp(join(tmpdir(), 'strata-send-'));
  database = await freshDatabase();
  env = {
    DATA_DIR: join(dir, 'data'),
    LOG_LEVEL: 'silent',
    SWEEP_INTERVAL_SECONDS: '0',
    HOST: '127.0.0.1',
    PORT: '0',
    ...(database.url ? { DATABASE_URL: database.url } : {}),
  };
  const server = await startStrata(loadConfig(env), { log: createLogger('silent') });
  try {
    const stored = await stow(
      `${server.url}/dicom-web/studies`,
      files.map((f) => ({ body: sampleBytes(f.file) })),
    );
    expect(stored.status).toBe(200);
  } finally {
    await server.close();
  }
});
afterAll(async () => {
  await database?.drop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Runs storescp with `args` into a fresh folder while `body` runs; returns what arrived. */
async function withStorescp(
  args: string[],
  body: (remoteAes: string) => Promise<void>,
): Promise<Map<string, Buffer>> {
  const port = await freePort();
  const out = await mkdtemp(join(dir, 'received-'));
  const peer = startPeer('storescp', ['-aet', 'DEST', '-od', out, '+B', ...args, String(port)]);
  try {
    await waitForPort(port);
    await body(`DEST@127.0.0.1:${port}`);
  } finally {
    await peer.stop();
  }
  const received = new Map<string, Buffer>();
  for (const name of await readdir(out)) {
    const bytes = await readFile(join(out, name));
    received.set(String(read(bytes).dict['00080018']?.Value?.[0]), bytes);
  }
  return received;
}

/** The parsed file, inspected as untyped DICOM (dcmjs's own shape). */
function read(bytes: Buffer): { meta: any; dict: any } {
  const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  return dcmjs.data.DicomMessage.readFile(ab as ArrayBuffer);
}

describe.runIf(run)(`#15 strata send (${testDb})`, () => {
  it('sends every instance as stored to a peer that accepts every syntax: data sets byte-identical', async () => {
    let result!: Awaited<ReturnType<typeof strataCli>>;
    const received = await withStorescp(['+xa'], async (remote) => {
      result = await strataCli(['send', 'DEST', STUDY], { ...env, DIMSE_REMOTE_AES: remote });
    });
    expect(result.status, result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout);
    expect(summary).toMatchObject({ instances: files.length, stored: files.length, failed: [] });
    expect(summary.converted).toBe(0);
    // 110106 Export, naming the destination node, recorded by the send.
    const audit = await strataCli(['audit', 'search', '--event', '110106'], env);
    expect(audit.status, audit.stderr).toBe(0);
    expect(audit.stdout).toContain('DEST@127.0.0.1');
    expect(received.size).toBe(files.length);
    for (const f of files) {
      const original = sampleBytes(f.file);
      const got = received.get(f.sop_instance!);
      expect(got, f.file).toBeDefined();
      expect(read(got!).meta['00020010'].Value[0], f.file).toBe(f.ts);
      expect(
        got!.subarray(dataSetOffset(got!)).equals(original.subarray(dataSetOffset(original))),
        f.file,
      ).toBe(true);
    }
  });

  it('converts what an uncompressed-only peer refuses (JPEG, RLE) and keeps the attributes', async () => {
    let result!: Awaited<ReturnType<typeof strataCli>>;
    const received = await withStorescp([], async (remote) => {
      result = await strataCli(['send', 'DEST', STUDY], { ...env, DIMSE_REMOTE_AES: remote });
    });
    expect(result.status, result.stderr + result.stdout).toBe(0);
    const summary = JSON.parse(result.stdout);
    const compressed = files.filter((f) => f.ts !== ELE && f.ts !== IVR);
    expect(compressed.length).toBeGreaterThan(0);
    expect(summary).toMatchObject({
      stored: files.length,
      converted: compressed.length,
      failed: [],
    });
    for (const f of files) {
      const got = read(received.get(f.sop_instance!)!);
      const original = read(sampleBytes(f.file));
      expect([ELE, IVR], f.file).toContain(got.meta['00020010'].Value[0]);
      for (const tag of ['00080016', '0020000D', '0020000E', '00100020', '00280010', '00280011'])
        expect(got.dict[tag]?.Value, `${f.file} ${tag}`).toEqual(original.dict[tag]?.Value);
      if (!compressed.includes(f)) {
        // Uncompressed instances were accepted as stored: sent unchanged.
        const bytes = received.get(f.sop_instance!)!;
        const sent = sampleBytes(f.file);
        expect(
          bytes.subarray(dataSetOffset(bytes)).equals(sent.subarray(dataSetOffset(sent))),
        ).toBe(true);
        continue;
      }
      const pixels = got.dict['7FE00010']?.Value?.[0] as ArrayBuffer;
      const rows = Number(original.dict['00280010'].Value[0]);
      const columns = Number(original.dict['00280011'].Value[0]);
      const samplesPerPixel = Number(original.dict['00280002'].Value[0]);
      const bytesPerSample = Number(original.dict['00280100'].Value[0]) / 8;
      const frames = Number(original.dict['00280008']?.Value?.[0] ?? 1);
      // Native pixel data of the full size: decoded, not the compressed fragments relabelled.
      expect(pixels.byteLength, f.file).toBeGreaterThanOrEqual(
        rows * columns * samplesPerPixel * bytesPerSample * frames,
      );
    }
  });

  it('rewrites into Implicit VR LE for a peer that accepts nothing else', async () => {
    let result!: Awaited<ReturnType<typeof strataCli>>;
    const received = await withStorescp(['+xi'], async (remote) => {
      result = await strataCli(['send', 'DEST', STUDY], { ...env, DIMSE_REMOTE_AES: remote });
    });
    expect(result.status, result.stderr + result.stdout).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ stored: files.length, failed: [] });
    for (const f of files) {
      const got = read(received.get(f.sop_instance!)!);
      const original = read(sampleBytes(f.file));
      expect(got.meta['00020010'].Value[0], f.file).toBe(IVR);
      for (const tag of ['00080016', '0020000D', '00280010', '00280011'])
        expect(got.dict[tag]?.Value, `${f.file} ${tag}`).toEqual(original.dict[tag]?.Value);
    }
  });

  it('fails with exit 1 and names the failures when the peer is not there', async () => {
    const port = await freePort();
    const result = await strataCli(['send', 'DEST', STUDY], {
      ...env,
      DIMSE_REMOTE_AES: `DEST@127.0.0.1:${port}`,
      DIMSE_SCU_TIMEOUT_SECONDS: '5',
    });
    expect(result.status, result.stderr).toBe(1);
    const summary = JSON.parse(result.stdout);
    expect(summary.stored).toBe(0);
    expect(summary.failed).toHaveLength(files.length);
    expect(summary.failed[0].reason).toMatch(/network error|ECONNREFUSED/);
  });

  it('refuses an AE title that is not configured (exit 2) without touching the archive', async () => {
    const result = await strataCli(['send', 'NOWHERE', STUDY], { ...env, DIMSE_REMOTE_AES: '' });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/unknown AE "NOWHERE"/);
  });
});

import { readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scanPart10 } from '../src/dicom/part10/scan.js';
import { chunked } from '../src/dicom/testing/samples.js';
import { encodeJpegLosslessSv1 } from '../src/imaging/testing/jpeg-lossless-encoder.js';
import { stow } from './helpers/multipart.js';
import { doubleFloatInstance, encapsulatedInstance } from './helpers/pixel-instances.js';
import { startTestServer, testDb, type TestServer } from './helpers/server.js';
import { get, splitMultipart } from './helpers/wado-multipart.js';

/**
 * Decoding on retrieve (PS3.18 8.7.3: frames and default instances in Explicit VR Little
 * Endian; 8.3.5 rendered): the smallest codestreams, codestreams that fail to decode, and pixel
 * data that cannot be rendered.
 */
const JPEG_LOSSLESS_SV1 = '1.2.840.10008.1.2.4.70';
const EXPLICIT_LE = '1.2.840.10008.1.2.1';
const PIXELS = new Uint8Array([0, 255, 7, 128, 1, 254, 64, 200, 3]);

const tiny = encapsulatedInstance(JPEG_LOSSLESS_SV1, 3, 3, encodeJpegLosslessSv1(PIXELS, 3, 3));
// SOI, then bytes that are no JPEG marker segment: the decoder gives up on frame 1.
const broken = encapsulatedInstance(JPEG_LOSSLESS_SV1, 3, 3, new Uint8Array([0xff, 0xd8, 1, 2]));
const double = doubleFloatInstance();

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
  const response = await stow(`${server.base}/studies`, [
    { body: tiny.bytes },
    { body: broken.bytes },
    { body: double.bytes },
  ]);
  expect(response.status).toBe(200);
});
afterAll(async () => {
  await server?.close();
});

describe(`decoding on retrieve (${testDb})`, () => {
  it('serves a 3x3 JPEG Lossless frame decoded to its exact pixels', async () => {
    const r = await get(`${tiny.url(server.base)}/frames/1`, {
      Accept: `multipart/related; type="application/octet-stream"; transfer-syntax=${EXPLICIT_LE}`,
    });
    expect(r.status).toBe(200);
    const [part] = splitMultipart(r.body, r.contentType);
    expect([...part!.body]).toEqual([...PIXELS]);
  });

  it('renders a 3x3 JPEG Lossless image from its exact pixels', async () => {
    const r = await get(`${tiny.url(server.base)}/rendered`, { Accept: 'image/png' });
    expect(r.status).toBe(200);
    const { data, info } = await sharp(r.body).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([3, 3]);
    const gray = Array.from({ length: 9 }, (_, i) => data[i * info.channels]);
    expect(gray).toEqual([...PIXELS]);
  });

  it('serves a 3x3 JPEG Lossless instance by default as Explicit VR Little Endian pixels', async () => {
    const r = await get(tiny.url(server.base), { Accept: 'application/dicom' });
    expect(r.status).toBe(200);
    const scan = await scanPart10(chunked(new Uint8Array(r.body)));
    expect(scan.transferSyntaxUid).toBe(EXPLICIT_LE);
    const at = scan.pixelData!;
    expect(at.kind).toBe('native');
    const offset = at.kind === 'native' ? at.offset : 0;
    expect([...r.body.subarray(offset, offset + 9)]).toEqual([...PIXELS]);
  });

  it('names floating point pixel data as the reason a Double Float image is not rendered', async () => {
    const r = await get(`${double.url(server.base)}/rendered`, { Accept: 'image/png' });
    expect(r.status).toBe(406);
    const problem = JSON.parse(r.body.toString()) as { code: string; detail: string };
    expect(problem.code).toBe('imaging.not_an_image');
    expect(problem.detail).toBe(
      'floating point pixel data (Float Pixel Data / Double Float Pixel Data) cannot be rendered',
    );
  });
});

const PROC_FD = '/proc/self/fd';
const hasProcFd = (() => {
  try {
    return readdirSync(PROC_FD).length > 0;
  } catch {
    return false;
  }
})();
if (!hasProcFd) console.warn(`[strata] ${PROC_FD} is absent: the file descriptor test is skipped`);

/**
 * Descriptors open outside the embedded index's directory: PGlite opens its own relation files
 * (a free-space map once a table has grown) when it likes, which says nothing about blobs.
 */
function openOutsideIndex(): number {
  const index = join(server.dataDir, 'index');
  return readdirSync(PROC_FD).filter((fd) => {
    try {
      return !readlinkSync(join(PROC_FD, fd)).startsWith(index);
    } catch {
      return false; // closed between the listing and the look
    }
  }).length;
}

describe.skipIf(!hasProcFd)(`a default retrieve whose decode fails (${testDb})`, () => {
  it('answers 500 and closes every blob it opened, leaving nothing to the garbage collector', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error): void => void warnings.push(w.message);
    process.on('warning', onWarning);
    try {
      const fail = async (): Promise<void> => {
        const r = await get(broken.url(server.base), { Accept: 'application/dicom' });
        expect(r.status).toBe(500);
        const series = await fetch(`${server.base}/studies/${broken.study}`, {
          headers: { Accept: 'multipart/related; type="application/dicom"' },
        });
        expect(series.status).toBe(500);
        await series.arrayBuffer();
      };
      await fail(); // warm-up: the connection and the index's own files are open from here on
      const before = openOutsideIndex();
      for (let i = 0; i < 10; i++) await fail();
      expect(openOutsideIndex()).toBe(before);
      expect(warnings.filter((w) => w.includes('on garbage collection'))).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });
});

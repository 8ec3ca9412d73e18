/**
 * WADO-RS Retrieve Frames over real HTTP (PS3.18 10.4.1.1.4) for every storable sample with
 * pixel data: native frames have the exact frame size, encapsulated frames start with their
 * codestream's marker, and bad frame lists get the right 4xx.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  loadManifest,
  readSample,
  type SampleFacts,
  samplesAvailable,
} from '../src/dicom/testing/samples.js';
import { findTransferSyntax } from '../src/dicom/transfer-syntax.js';
import { TransferSyntax } from '../src/dicom/uid.js';
import { stow } from './helpers/multipart.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { get, splitMultipart } from './helpers/wado-multipart.js';

const withPixels = loadManifest().filter(
  (f) => f.expect === 'store' && f.has_meta && f.pixel_element !== null && f.rows !== null,
);
const OHIF = 'multipart/related; type=application/octet-stream; transfer-syntax=*';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
  const response = await stow(
    `${server.base}/studies`,
    withPixels.map((f) => ({ body: readSample(f.file) })),
  );
  expect(response.status).toBe(200);
}, 120_000);

afterAll(async () => {
  await server?.close();
});

function framesUrl(f: SampleFacts, list: string): string {
  return `${server.base}/studies/${f.study_instance}/series/${f.series_instance}/instances/${f.sop_instance}/frames/${list}`;
}

/** PS3.5 §8.1.1 / PS3.3 C.7.6.3.1.2: bytes of one native frame. */
function nativeFrameLength(f: SampleFacts): number {
  const samples = f.photometric?.endsWith('_422') ? 2 : (f.spp ?? 1);
  const bits = (f.rows ?? 0) * (f.cols ?? 0) * samples * (f.bits_alloc ?? 8);
  return Math.ceil(bits / 8);
}

/** The codestream marker check per syntax (ITU T.81, T.87, T.800, T.814; PS3.5 Annex G). */
function assertCodestream(ts: string, frame: Buffer): void {
  const hex = frame.subarray(0, 4).toString('hex');
  const media = findTransferSyntax(ts)?.frameMediaType;
  if (ts === TransferSyntax.RLELossless) {
    const segments = frame.readUInt32LE(0);
    expect(segments).toBeGreaterThanOrEqual(1);
    expect(segments).toBeLessThanOrEqual(15);
    expect(frame.readUInt32LE(4)).toBe(64); // first segment right after the 64-byte header
  } else if (media === 'image/jls') {
    expect(hex.slice(0, 4)).toBe('ffd8');
    expect(frame.subarray(0, 64).includes(Buffer.from([0xff, 0xf7]))).toBe(true); // SOF55
  } else if (media === 'image/jpeg') {
    expect(hex.slice(0, 4)).toBe('ffd8');
  } else if (media === 'image/jphc') {
    expect(hex.slice(0, 4)).toBe('ff4f');
  } else if (media === 'image/jp2') {
    const jp2Box = frame.subarray(4, 8).toString('latin1') === 'jP  ';
    expect(hex === 'ff4fff51' || jp2Box).toBe(true);
  } else {
    throw new Error(`no marker check for ${ts}`);
  }
}

describe.skipIf(!samplesAvailable)('Retrieve Frames', () => {
  it.each(withPixels.map((f) => [f.file, f] as const))(
    '%s: every frame, as OHIF asks for it',
    async (_, f) => {
      const count = f.frames ?? 1;
      const list = Array.from({ length: count }, (_, i) => i + 1).join(',');
      const r = await get(framesUrl(f, list), { Accept: OHIF });
      expect(r.status).toBe(200);
      const parts = splitMultipart(r.body, r.contentType);
      expect(parts).toHaveLength(count);
      const info = findTransferSyntax(f.ts!);
      for (const part of parts) {
        if (info?.encapsulated) {
          expect(part.headers['content-type']).toBe(
            `application/octet-stream; transfer-syntax=${f.ts}`,
          );
          assertCodestream(f.ts!, part.body);
        } else {
          expect(part.headers['content-type']).toBe(
            `application/octet-stream; transfer-syntax=${TransferSyntax.ExplicitVRLittleEndian}`,
          );
          expect(part.body.length).toBe(nativeFrameLength(f));
        }
      }
    },
  );

  it('serves big-endian frames little endian', async () => {
    const f = withPixels.find((s) => s.ts === TransferSyntax.ExplicitVRBigEndian)!;
    const r = await get(framesUrl(f, '1'), { Accept: 'application/octet-stream' });
    expect(r.status).toBe(200);
    expect(r.body.length).toBe(nativeFrameLength(f));
  });

  it('serves compressed frames with their own media type by default', async () => {
    const f = withPixels.find((s) => s.file === 'mf-us-cine_jpeg-baseline_ybr422.dcm')!;
    const r = await get(framesUrl(f, '3,1'));
    expect(r.status).toBe(200);
    expect(r.contentType).toMatch(/^multipart\/related; type="image\/jpeg"; boundary=/);
    const parts = splitMultipart(r.body, r.contentType);
    expect(parts.map((p) => p.headers['content-type'])).toEqual([
      `image/jpeg; transfer-syntax=${f.ts}`,
      `image/jpeg; transfer-syntax=${f.ts}`,
    ]);
    const single = await get(framesUrl(f, '3'), { Accept: 'image/jpeg' });
    expect(single.status).toBe(200);
    expect(single.body.equals(parts[0]!.body)).toBe(true);
    expect(single.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
    // Cacheable for an hour, so the cache must key on Accept too.
    expect(single.headers.get('cache-control')).toBe('private, max-age=3600');
    expect(single.headers.get('vary')).toBe('Accept');
    expect(single.headers.get('etag')).not.toBe(r.headers.get('etag'));
  });

  it('decodes compressed frames to native when Explicit VR LE is asked', async () => {
    const f = withPixels.find((s) => s.file === 'ts-rle_SC_rgb_16bit_2frames.dcm')!;
    const r = await get(framesUrl(f, '2'), {
      Accept: `multipart/related; type="application/octet-stream"; transfer-syntax=${TransferSyntax.ExplicitVRLittleEndian}`,
    });
    expect(r.status).toBe(200);
    const [part] = splitMultipart(r.body, r.contentType);
    expect(part!.body.length).toBe(100 * 100 * 3 * 2);
  });

  it('refuses frame 0, a malformed or repeated list (400) and a frame beyond the count (404)', async () => {
    const f = withPixels.find((s) => s.file === 'mf-enhanced-MR_10frames.dcm')!;
    for (const list of ['0', '1,x', '2,2', '-1']) {
      const r = await get(framesUrl(f, list), { Accept: OHIF });
      expect(r.status, list).toBe(400);
      expect(r.contentType).toBe('application/problem+json');
    }
    const beyond = await get(framesUrl(f, '11'), { Accept: OHIF });
    expect(beyond.status).toBe(404);
    expect(JSON.parse(beyond.body.toString()).code).toBe('service.frame_not_found');
  });

  it('gives 404 for frames of an instance without pixel data, and 406 for an unsupported Accept', async () => {
    const noPixels = loadManifest().find((s) => s.file === 'obj-GSPS-referenced_CR_no-pixels.dcm')!;
    await stow(`${server.base}/studies`, [{ body: readSample(noPixels.file) }]);
    expect((await get(framesUrl(noPixels, '1'), { Accept: OHIF })).status).toBe(404);
    const f = withPixels.find((s) => s.ts === TransferSyntax.ExplicitVRLittleEndian)!;
    const r = await get(framesUrl(f, '1'), { Accept: 'image/jp2' });
    expect(r.status).toBe(406);
    expect(JSON.parse(r.body.toString()).detail).toMatch(/application\/octet-stream/);
  });

  it('answers 404 for an unknown instance and 400 for a malformed UID on every instance resource', async () => {
    const f = withPixels[0]!;
    const series = `${server.base}/studies/${f.study_instance}/series/${f.series_instance}`;
    for (const tail of ['frames/1', 'metadata', 'bulkdata/7FE00010', 'rendered', 'thumbnail', '']) {
      const unknown = await get(`${series}/instances/1.2.3.999.${tail ? `1/${tail}` : '1'}`);
      expect([tail, unknown.status]).toEqual([tail, 404]);
      expect(unknown.contentType).toBe('application/problem+json');
      const malformed = await get(`${series}/instances/1..2${tail ? `/${tail}` : ''}`);
      expect([tail, malformed.status]).toEqual([tail, 400]);
    }
  });

  it('honours the accept query parameter over the header', async () => {
    const f = withPixels.find((s) => s.ts === TransferSyntax.ExplicitVRLittleEndian)!;
    const r = await get(`${framesUrl(f, '1')}?accept=application/octet-stream`, {
      Accept: 'image/jp2',
    });
    expect(r.status).toBe(200);
    expect(r.contentType).toMatch(/^application\/octet-stream/);
  });
});

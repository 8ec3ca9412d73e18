/**
 * WADO-RS Retrieve Frames over real HTTP (PS3.18 10.4.1.1.4) for every storable sample with
 * pixel data: native frames have the exact frame size, encapsulated frames start with their
 * codestream's marker, and bad frame lists get the right 4xx.
 */
import dcmjs from 'dcmjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { concat, explicitElement, text } from '../src/dicom/testing/build-part10.js';
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

dcmjs.log.setLevel('silent');

/**
 * The native pixel data of a sample as dcmjs reads it (an independent parser), little endian:
 * dcmjs hands OW values of a big-endian file over as they lie in the file, so they are swapped here.
 */
function referencePixels(f: SampleFacts): Buffer {
  const bytes = readSample(f.file);
  const copy = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  const { dict } = dcmjs.data.DicomMessage.readFile(copy as ArrayBuffer, { ignoreErrors: true });
  const element = dict[f.pixel_element === 'FloatPixelData' ? '7FE00008' : '7FE00010'] as
    { vr: string; Value: ArrayBuffer[] } | undefined;
  if (!element) throw new Error(`dcmjs found no pixel data in ${f.file}`);
  const value = Buffer.from(concat(element.Value.map((v) => new Uint8Array(v))));
  if (f.ts === TransferSyntax.ExplicitVRBigEndian && element.vr === 'OW') value.swap16();
  return value;
}

/** A Part 10 element in Explicit VR Big Endian (PS3.5 §7.3): tag, VR and length big endian. */
function bigEndianElement(tag: string, vr: string, value: Uint8Array): Uint8Array {
  const long = vr === 'OW' || vr === 'OB';
  const header = Buffer.alloc(long ? 12 : 8);
  header.writeUInt16BE(parseInt(tag.slice(0, 4), 16), 0);
  header.writeUInt16BE(parseInt(tag.slice(4), 16), 2);
  header.write(vr, 4, 'latin1');
  if (long) header.writeUInt32BE(value.length, 8);
  else header.writeUInt16BE(value.length, 6);
  return concat([header, value]);
}

/** Preamble, 'DICM' and a file meta (always Explicit VR LE, PS3.10 §7.1) naming `sopInstanceUid`. */
function fileMetaFor(sopInstanceUid: string, transferSyntaxUid: string): Uint8Array {
  const body = concat([
    explicitElement('00020001', 'OB', new Uint8Array([0, 1])),
    explicitElement('00020002', 'UI', text('1.2.840.10008.5.1.4.1.1.7', '\0')),
    explicitElement('00020003', 'UI', text(sopInstanceUid, '\0')),
    explicitElement('00020010', 'UI', text(transferSyntaxUid, '\0')),
  ]);
  const groupLength = Buffer.alloc(4);
  groupLength.writeUInt32LE(body.length);
  const preamble = Buffer.alloc(132);
  preamble.write('DICM', 128, 'latin1');
  return concat([preamble, explicitElement('00020000', 'UL', groupLength), body]);
}

function us(n: number): Uint8Array {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

/** A 2x3 16-bit MONOCHROME2 image in Explicit VR Big Endian whose samples are 0x0102, 0x0304, ... */
function bigEndian16BitInstance(): { bytes: Uint8Array; uids: string[]; littleEndian: Buffer } {
  const samples = [0x0102, 0x0304, 0x0506, 0x0708, 0x090a, 0x0b0c];
  const pixels = Buffer.alloc(samples.length * 2);
  samples.forEach((v, i) => pixels.writeUInt16BE(v, i * 2));
  const littleEndian = Buffer.alloc(samples.length * 2);
  samples.forEach((v, i) => littleEndian.writeUInt16LE(v, i * 2));
  const uids = [
    '1.2.826.0.1.3680043.10.1.77.1',
    '1.2.826.0.1.3680043.10.1.77.2',
    '1.2.826.0.1.3680043.10.1.77.3',
  ];
  const [study, series, sop] = uids as [string, string, string];
  const bytes = concat([
    fileMetaFor(sop, TransferSyntax.ExplicitVRBigEndian),
    bigEndianElement('00080016', 'UI', text('1.2.840.10008.5.1.4.1.1.7', '\0')),
    bigEndianElement('00080018', 'UI', text(sop, '\0')),
    bigEndianElement('0020000D', 'UI', text(study, '\0')),
    bigEndianElement('0020000E', 'UI', text(series, '\0')),
    bigEndianElement('00280002', 'US', us(1)),
    bigEndianElement('00280004', 'CS', text('MONOCHROME2')),
    bigEndianElement('00280010', 'US', us(2)),
    bigEndianElement('00280011', 'US', us(3)),
    bigEndianElement('00280100', 'US', us(16)),
    bigEndianElement('00280101', 'US', us(16)),
    bigEndianElement('00280102', 'US', us(15)),
    bigEndianElement('00280103', 'US', us(0)),
    bigEndianElement('7FE00010', 'OW', pixels),
  ]);
  return { bytes, uids, littleEndian };
}

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
      if (!info?.encapsulated) {
        // Same bytes as an independent reader finds in the file, frame by frame.
        const reference = referencePixels(f);
        const size = nativeFrameLength(f);
        parts.forEach((part, i) => {
          expect(
            part.body.equals(reference.subarray(i * size, (i + 1) * size)),
            `frame ${i + 1}`,
          ).toBe(true);
        });
      }
    },
  );

  it('serves big-endian frames little endian', async () => {
    const f = withPixels.find((s) => s.ts === TransferSyntax.ExplicitVRBigEndian)!;
    const r = await get(framesUrl(f, '1'), { Accept: 'application/octet-stream' });
    expect(r.status).toBe(200);
    expect(r.body.length).toBe(nativeFrameLength(f));
    expect(r.body.equals(referencePixels(f))).toBe(true);
  });

  it('swaps the bytes of 16-bit big-endian frames', async () => {
    const instance = bigEndian16BitInstance();
    const stored = await stow(`${server.base}/studies`, [{ body: instance.bytes }]);
    expect(stored.status).toBe(200);
    const [study, series, sop] = instance.uids;
    const r = await get(
      `${server.base}/studies/${study}/series/${series}/instances/${sop}/frames/1`,
      { Accept: 'application/octet-stream' },
    );
    expect(r.status).toBe(200);
    expect(r.body.toString('hex')).toBe(instance.littleEndian.toString('hex'));
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

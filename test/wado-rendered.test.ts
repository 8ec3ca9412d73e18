import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  makeInstance,
  makeSameUids,
  newUid,
  type Elements,
  type GeneratedInstance,
  type InstanceSpec,
} from './helpers/make-dicom.js';
import { encapsulatedInstance } from './helpers/pixel-instances.js';
import { stow } from './helpers/multipart.js';
import { sample, sampleBytes, samplesAvailable } from './helpers/samples.js';
import { startTestServer, testDb, type TestServer } from './helpers/server.js';

/**
 * WADO-RS Retrieve Rendered and Thumbnail (PS3.18 10.4.1.1.3, 10.4.1.1.5) over real HTTP:
 * real samples of every codec and photometric kind, a generated 16-bit ramp for exact gray
 * levels, thumbnails at every level, negotiation and the 4xx answers.
 */
let server: TestServer;
beforeAll(async () => {
  // Replace policy: the stale-thumbnail test stores a new version under the same UIDs.
  server = await startTestServer({ STOW_DUPLICATE_POLICY: 'replace' });
});
afterAll(async () => {
  await server?.close();
});

async function store(bytes: Uint8Array): Promise<void> {
  const response = await stow(`${server.base}/studies`, [{ body: bytes }]);
  expect(response.status).toBe(200);
}

const instanceUrl = (file: string) => {
  const s = sample(file);
  return `${server.base}/studies/${s.study_instance}/series/${s.series_instance}/instances/${s.sop_instance}`;
};

async function image(url: string, accept = 'image/png') {
  const response = await fetch(url, { headers: { Accept: accept } });
  const body = Buffer.from(await response.arrayBuffer());
  return { response, body };
}

/** 16×16 16-bit MONOCHROME2 ramp: pixel i holds i × 16 (0…4080). */
function ramp(elements: Elements = {}, spec: InstanceSpec = {}) {
  const pixels = Buffer.alloc(16 * 16 * 2);
  for (let i = 0; i < 256; i++) pixels.writeUInt16LE(i * 16, i * 2);
  const u16 = (n: number) => Buffer.from([n & 0xff, n >> 8]);
  return makeInstance({
    ...spec,
    elements: {
      '00280010': { vr: 'US', value: u16(16) },
      '00280011': { vr: 'US', value: u16(16) },
      '7FE00010': { vr: 'OW', value: pixels },
      ...elements,
    },
  });
}

async function grayAt(url: string, ...indexes: number[]): Promise<number[]> {
  const { response, body } = await image(url);
  expect(response.status).toBe(200);
  const { data, info } = await sharp(body).raw().toBuffer({ resolveWithObject: true });
  return indexes.map((i) => data[i * info.channels]!);
}

const url = (g: GeneratedInstance, tail: string) =>
  `${server.base}/studies/${g.studyInstanceUid}/series/${g.seriesInstanceUid}/instances/${g.sopInstanceUid}/${tail}`;

/** Samples of each codec and photometric kind, with the media type decoded output has. */
const SAMPLES = [
  'ts-explicit-le_CT_small.dcm',
  'ts-implicit-le_MR_small.dcm',
  'ts-explicit-be_US_rgb.dcm',
  'ts-deflated_SC.dcm',
  'ts-jpeg-baseline_SC_ybr_full.dcm',
  'mf-us-cine_jpeg-baseline_ybr422.dcm',
  'ts-jpeg-lossless-sv1_US_8bit.dcm',
  'ts-jpeg-lossless-sv1_NM_16bit_signed.dcm',
  'ts-jpegls-lossless_NM_nema.dcm',
  'ts-jpegls-near-lossless_CT_nema.dcm',
  'ts-j2k-lossless_US_ybr_rct.dcm',
  'ts-j2k-lossy_CR_monochrome1.dcm',
  'ts-rle_RTDOSE_32bit_15frames.dcm',
  'ts-rle_SC_rgb_16bit_2frames.dcm',
  'ts-htj2k_SC_rgb.dcm',
  'pi-palette-color_US_rle.dcm',
  'pi-ybr-full-422_native.dcm',
  'obj-SEG_ct_binary_implicit.dcm',
  'ts-jpeg-extended-12bit_NM.dcm',
  'obj-SR_basic_text.dcm',
] as const;

describe(`WADO-RS rendered (${testDb})`, () => {
  beforeAll(async () => {
    // Without the sample folder only the generated-image tests below run.
    if (samplesAvailable) for (const file of SAMPLES) await store(sampleBytes(file));
  });

  const renderable = SAMPLES.filter((f) => f !== 'obj-SR_basic_text.dcm');
  it.skipIf(!samplesAvailable).each(renderable)(
    'renders %s as JPEG (default) and PNG of the stored size',
    async (file) => {
      const { rows, cols } = sample(file) as unknown as { rows: number; cols: number };
      const jpeg = await image(`${instanceUrl(file)}/rendered`, '*/*');
      expect(jpeg.response.status).toBe(200);
      expect(jpeg.response.headers.get('content-type')).toBe('image/jpeg');
      expect(await sharp(jpeg.body).metadata()).toMatchObject({
        format: 'jpeg',
        width: cols,
        height: rows,
      });
      const png = await image(`${instanceUrl(file)}/rendered`, 'image/png');
      expect(await sharp(png.body).metadata()).toMatchObject({
        format: 'png',
        width: cols,
        height: rows,
      });
    },
  );

  it('gives the expected gray levels for a known window, inverted for MONOCHROME1', async () => {
    const mono2 = ramp();
    const mono1 = ramp({ '00280004': { vr: 'CS', value: 'MONOCHROME1' } });
    await store(mono2.bytes);
    await store(mono1.bytes);
    const window = 'rendered?window=2048,4096,linear-exact';
    expect(await grayAt(url(mono2, window), 0, 128, 255)).toEqual([0, 128, 254]);
    expect(await grayAt(url(mono1, window), 0, 128, 255)).toEqual([255, 127, 1]);
    // linear, c=1050 w=101 (C.11.2.1.2.1): ≤ 999.5 black, > 1099.5 white, 1056 → 144
    expect(await grayAt(url(mono2, 'rendered?window=1050,101,linear'), 62, 66, 69)).toEqual([
      0, 144, 255,
    ]);
  });

  it('renders PALETTE COLOR whose LUT data is stored as bulk data (1024 16-bit entries)', async () => {
    const words = (values: number[]) => {
      const b = Buffer.alloc(values.length * 2);
      values.forEach((v, i) => b.writeUInt16LE(v, i * 2));
      return b;
    };
    const entries = Array.from({ length: 1024 }, (_, j) => j);
    const descriptor = { vr: 'US', value: words([1024, 0, 16]) };
    const palette = makeInstance({
      elements: {
        '00280004': { vr: 'CS', value: 'PALETTE COLOR' },
        '00280010': { vr: 'US', value: words([16]) },
        '00280011': { vr: 'US', value: words([16]) },
        '00281101': descriptor,
        '00281102': descriptor,
        '00281103': descriptor,
        '00281201': { vr: 'OW', value: words(entries.map((j) => j * 64)) },
        '00281202': { vr: 'OW', value: words(entries.map((j) => 65535 - j * 64)) },
        '00281203': { vr: 'OW', value: words(entries.map(() => 0x8000)) },
        // pixel i holds palette index 4i
        '7FE00010': { vr: 'OW', value: words(Array.from({ length: 256 }, (_, i) => i * 4)) },
      },
    });
    await store(palette.bytes);
    const [stored] = await server.services.retrieve.lookup.find({
      study: palette.studyInstanceUid,
      instance: palette.sopInstanceUid,
      series: palette.seriesInstanceUid,
    });
    expect(stored!.metadata['00281201']!.BulkDataURI).toBeDefined(); // the case under test
    const { body } = await image(url(palette, 'rendered'));
    const { data, info } = await sharp(body).raw().toBuffer({ resolveWithObject: true });
    expect(info.channels).toBe(3);
    const rgb = (i: number) => [...data.subarray(i * 3, i * 3 + 3)];
    expect(rgb(0)).toEqual([0, 255, 128]);
    expect(rgb(100)).toEqual([100, 155, 128]);
    expect(rgb(255)).toEqual([255, 0, 128]);
  });

  it('applies the per-frame window of an Enhanced multi-frame object (functional groups)', async () => {
    // Explicit VR LE element bytes, for building the functional group sequences by hand.
    const el = (tag: string, vr: string, value: Buffer) => {
      const long = ['SQ', 'OW', 'OB'].includes(vr);
      const head = Buffer.alloc(long ? 12 : 8);
      head.writeUInt16LE(parseInt(tag.slice(0, 4), 16), 0);
      head.writeUInt16LE(parseInt(tag.slice(4), 16), 2);
      head.write(vr, 4, 'latin1');
      if (long) head.writeUInt32LE(value.length, 8);
      else head.writeUInt16LE(value.length, 6);
      return Buffer.concat([head, value]);
    };
    const item = (body: Buffer) => {
      const head = Buffer.from([0xfe, 0xff, 0x00, 0xe0, 0, 0, 0, 0]);
      head.writeUInt32LE(body.length, 4);
      return Buffer.concat([head, body]);
    };
    const text = (s: string) => Buffer.from(s.length % 2 ? `${s} ` : s, 'latin1');
    const frameGroup = (center: number, width: number) =>
      item(
        el(
          '00289132',
          'SQ',
          item(
            Buffer.concat([
              el('00281050', 'DS', text(String(center))),
              el('00281051', 'DS', text(String(width))),
            ]),
          ),
        ),
      );
    const pixels = Buffer.alloc(16 * 16 * 2 * 2);
    for (let i = 0; i < 512; i++) pixels.writeUInt16LE((i % 256) * 16, i * 2);
    const enhanced = ramp({
      '00280008': { vr: 'IS', value: '2' },
      '52009230': {
        vr: 'SQ',
        value: Buffer.concat([frameGroup(1024, 2048), frameGroup(100, 2)]),
      },
      '7FE00010': { vr: 'OW', value: pixels },
    });
    await store(enhanced.bytes);
    // Without the groups both frames would get the min/max window (pixel 128 → 128).
    // frame 1: 1024,2048 → pixel 64 (1024) mid-gray, 128 (2048) white; frame 2: 100,2
    expect(await grayAt(url(enhanced, 'frames/1/rendered'), 0, 64, 128)).toEqual([0, 128, 255]);
    expect(await grayAt(url(enhanced, 'frames/2/rendered'), 0, 128)).toEqual([0, 255]);
  });

  it("honours quality for JPEG and a viewport region (sx,sy,sw,sh) with the region's own pixels", async () => {
    const g = ramp();
    await store(g.bytes);
    const size = async (quality: number) =>
      (await image(url(g, `rendered?quality=${quality}&viewport=256,256`), 'image/jpeg')).body
        .length;
    expect(await size(5)).toBeLessThan(await size(95));
    // Rows 8…15, columns 8…15 of the ramp, at the same scale: pixel (0,0) is ramp index 136.
    const window = 'window=2048,4096,linear-exact';
    const { response, body } = await image(url(g, `rendered?viewport=8,8,8,8,8,8&${window}`));
    expect(response.status).toBe(200);
    const { data, info } = await sharp(body).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([8, 8]);
    const whole = await grayAt(url(g, `rendered?${window}`), 136, 255);
    expect([data[0], data[63 * info.channels]]).toEqual(whole);
  });

  it('uses the dataset window and rescale when the request has none, else the frame min/max', async () => {
    const windowed = ramp({
      '00281050': { vr: 'DS', value: '1024\\0' },
      '00281051': { vr: 'DS', value: '1024\\1' },
      '00281052': { vr: 'DS', value: '-1024' },
      '00281053': { vr: 'DS', value: '1' },
    });
    await store(windowed.bytes);
    // stored 2048 → 1024 after rescale = the window centre; 1536 → 512 = bottom edge
    expect(await grayAt(url(windowed, 'rendered'), 128, 96, 160)).toEqual([128, 0, 255]);
    const plain = ramp();
    await store(plain.bytes);
    expect(await grayAt(url(plain, 'rendered'), 0, 255)).toEqual([0, 255]);
  });

  it.skipIf(!samplesAvailable)(
    'renders one frame of a multi-frame instance; refuses frame lists, 0 and beyond the count',
    async () => {
      const base = instanceUrl('mf-us-cine_jpeg-baseline_ybr422.dcm');
      const frame = await image(`${base}/frames/30/rendered?viewport=160,160`, 'image/webp');
      expect(frame.response.status).toBe(200);
      expect(await sharp(frame.body).metadata()).toMatchObject({
        format: 'webp',
        width: 160,
        height: 120,
      });
      for (const [list, status] of [
        ['1,2', 400],
        ['0', 400],
        ['x', 400],
        ['31', 404],
      ] as const) {
        const r = await fetch(`${base}/frames/${list}/rendered`);
        expect([list, r.status]).toEqual([list, status]);
        expect(r.headers.get('content-type')).toBe('application/problem+json');
      }
    },
  );

  it.skipIf(!samplesAvailable)(
    'answers 404 problem+json for an instance without pixel data (SR)',
    async () => {
      const sr = await fetch(`${instanceUrl('obj-SR_basic_text.dcm')}/rendered`);
      expect(sr.status).toBe(404);
      expect(((await sr.json()) as any).code).toBe('service.no_pixel_data');
    },
  );

  it('serves a repeated render from memory, and renders again for other parameters or a replaced instance', async () => {
    const g = makeInstance({ pixelBytes: 32 * 32 * 2 });
    await store(g.bytes);
    const first = await image(url(g, 'rendered'));
    expect(first.response.status).toBe(200);
    // With the blob gone, only the cache can answer the same request again.
    const [stored] = await server.services.retrieve.lookup.find({
      study: g.studyInstanceUid,
      series: g.seriesInstanceUid,
      instance: g.sopInstanceUid,
    });
    await server.store.delete(stored!.blobKey);
    const again = await image(url(g, 'rendered'));
    expect(again.response.status).toBe(200);
    expect(again.body.equals(first.body)).toBe(true);
    // Other parameters render anew, from the frame kept decoded in memory (no read either).
    const other = await image(`${url(g, 'rendered')}?window=0,100,linear`);
    expect(other.response.status).toBe(200);
    expect(other.body.equals(first.body)).toBe(false);
    await store(makeSameUids(g, { pixelBytes: 32 * 32 * 2 }).bytes);
    const replaced = await image(url(g, 'rendered'));
    expect(replaced.response.status).toBe(200);
    expect(replaced.response.headers.get('etag')).not.toBe(first.response.headers.get('etag'));
    expect(replaced.body.equals(first.body)).toBe(false);
  });

  it('renders a new window from the kept frame, and the new pixels once the instance is replaced', async () => {
    const first = ramp();
    await store(first.bytes);
    expect(await grayAt(url(first, 'rendered?window=2048,4096,linear-exact'), 0, 255)).toEqual([
      0, 254,
    ]);
    // The frame is kept decoded: with the blob gone a new window still renders, from memory.
    const [stored] = await server.services.retrieve.lookup.find({
      study: first.studyInstanceUid,
      series: first.seriesInstanceUid,
      instance: first.sopInstanceUid,
    });
    await server.store.delete(stored!.blobKey);
    expect(await grayAt(url(first, 'rendered?window=1024,2048,linear-exact'), 0, 64, 255)).toEqual([
      0, 128, 255,
    ]);
    // Same UIDs, the ramp reversed (pixel i holds (255 − i) × 16): a window never asked of
    // either version shows the new pixels, not the frame kept for the old version.
    const pixels = Buffer.alloc(16 * 16 * 2);
    for (let i = 0; i < 256; i++) pixels.writeUInt16LE((255 - i) * 16, i * 2);
    await store(
      makeSameUids(first, {
        elements: {
          '00280010': { vr: 'US', value: Buffer.from([16, 0]) },
          '00280011': { vr: 'US', value: Buffer.from([16, 0]) },
          '7FE00010': { vr: 'OW', value: pixels },
        },
      }).bytes,
    );
    expect(await grayAt(url(first, 'rendered?window=1025,2048,linear-exact'), 0, 255)).toEqual([
      255, 0,
    ]);
  });

  it('answers 406 naming the decodable syntaxes for JPEG XL pixel data, before reading it', async () => {
    const jpegXl = encapsulatedInstance(
      '1.2.840.10008.1.2.4.110',
      2,
      2,
      new Uint8Array([0xff, 0x0a, 1, 2, 3, 4, 5, 6]),
    );
    await store(jpegXl.bytes);
    const r = await fetch(`${jpegXl.url(server.base)}/rendered`);
    expect(r.status).toBe(406);
    const problem: any = await r.json();
    expect(problem.code).toBe('dicom.unsupported_transfer_syntax');
    expect(problem.detail).toContain('1.2.840.10008.1.2.4.50');
    expect(problem.detail).toContain('1.2.840.10008.1.2.5');
  });

  it.skipIf(!samplesAvailable)(
    'answers 400 problem+json for bad rendering parameters and 406 for an unacceptable Accept',
    async () => {
      const base = `${instanceUrl('ts-explicit-le_CT_small.dcm')}/rendered`;
      for (const query of [
        'window=40,400',
        'window=40,0,linear',
        'quality=0',
        'viewport=10',
        'viewport=10,10,100,100,64,64',
      ]) {
        const r = await fetch(`${base}?${query}`);
        expect([query, r.status]).toEqual([query, 400]);
        const problem: any = await r.json();
        expect(problem.code).toBe('imaging.bad_parameter');
      }
      const dicom = await fetch(base, { headers: { Accept: 'application/dicom' } });
      expect(dicom.status).toBe(406);
      expect(((await dicom.json()) as any).detail).toContain('image/jpeg');
      const unknown = await fetch(`${server.base}/studies/${newUid()}/rendered`);
      expect(unknown.status).toBe(404);
    },
  );

  it.skipIf(!samplesAvailable)(
    'negotiates by q-value and the accept query parameter; sends CORP, ETag and Cache-Control',
    async () => {
      const base = `${instanceUrl('ts-explicit-le_CT_small.dcm')}/rendered`;
      const webp = await fetch(base, { headers: { Accept: 'image/png;q=0.5, image/webp' } });
      expect(webp.headers.get('content-type')).toBe('image/webp');
      const byQuery = await fetch(`${base}?accept=image/png`, {
        headers: { Accept: 'image/jpeg' },
      });
      expect(byQuery.headers.get('content-type')).toBe('image/png');
      expect(byQuery.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
      expect(byQuery.headers.get('cache-control')).toContain('private');
      const etag = byQuery.headers.get('etag')!;
      expect(etag).toMatch(/^".+"$/);
      const again = await fetch(`${base}?accept=image/png`, { headers: { 'If-None-Match': etag } });
      expect(again.status).toBe(304);
      const otherWindow = await fetch(`${base}?accept=image/png&window=0,100,linear`);
      expect(otherWindow.headers.get('etag')).not.toBe(etag);
    },
  );
});

describe(`WADO-RS thumbnail (${testDb})`, () => {
  let study: GeneratedInstance[];
  beforeAll(async () => {
    const shared = { studyInstanceUid: newUid(), seriesInstanceUid: newUid() };
    // Three instances of one series, each with its own window so their images differ.
    study = [1, 2, 3].map((n) =>
      ramp(
        {
          '00200013': { vr: 'IS', value: String(n) },
          '00281050': { vr: 'DS', value: String(1000 * n) },
          '00281051': { vr: 'DS', value: '500' },
        },
        shared,
      ),
    );
    for (const g of study) await store(g.bytes);
  });

  it('answers at study, series, instance and frame level, fitting 128×128 unless a viewport says otherwise', async () => {
    const g = study[0]!;
    const levels = [
      `${server.base}/studies/${g.studyInstanceUid}/thumbnail`,
      `${server.base}/studies/${g.studyInstanceUid}/series/${g.seriesInstanceUid}/thumbnail`,
      url(g, 'thumbnail'),
      url(g, 'frames/1/thumbnail'),
    ];
    for (const level of levels) {
      const { response, body } = await image(level, 'image/jpeg');
      expect([level, response.status]).toEqual([level, 200]);
      expect(await sharp(body).metadata()).toMatchObject({
        format: 'jpeg',
        width: 128,
        height: 128,
      });
    }
    const large = await image(`${levels[0]}?viewport=64,32`, 'image/png');
    expect(await sharp(large.body).metadata()).toMatchObject({ width: 32, height: 32 });
  });

  it('study and series thumbnails show the middle instance of the first series', async () => {
    const middle = study[1]!;
    const seriesThumb = await image(
      `${server.base}/studies/${middle.studyInstanceUid}/series/${middle.seriesInstanceUid}/thumbnail`,
    );
    const own = await image(url(middle, 'thumbnail'));
    expect(seriesThumb.body.equals(own.body)).toBe(true);
    expect(seriesThumb.response.headers.get('etag')).toBe(own.response.headers.get('etag'));
  });

  it('serves a thumbnail from its cache once made: no storage read the second time', async () => {
    const g = makeInstance({ pixelBytes: 24 * 24 * 2 });
    await store(g.bytes);
    const first = await image(url(g, 'thumbnail'));
    expect(first.response.status).toBe(200);
    // With the blob gone, only the cache can answer (a render would fail to read the pixels).
    const [stored] = await server.services.retrieve.lookup.find({
      study: g.studyInstanceUid,
      series: g.seriesInstanceUid,
      instance: g.sopInstanceUid,
    });
    await server.store.delete(stored!.blobKey);
    const again = await image(url(g, 'thumbnail'));
    expect(again.response.status).toBe(200);
    expect(again.body.equals(first.body)).toBe(true);
    // The blob is gone indeed: the frame itself (read from storage) is not there.
    expect((await fetch(`${url(g, 'frames/1')}`)).status).toBeGreaterThanOrEqual(400);
  });

  it('serves the cached thumbnail again, and a new one once the instance is replaced', async () => {
    const g = makeInstance({ pixelBytes: 32 * 32 * 2 });
    await store(g.bytes);
    const first = await image(url(g, 'thumbnail'));
    const cached = await image(url(g, 'thumbnail'));
    expect(cached.body.equals(first.body)).toBe(true);
    expect(cached.response.headers.get('etag')).toBe(first.response.headers.get('etag'));
    await store(makeSameUids(g, { pixelBytes: 32 * 32 * 2 }).bytes);
    const replaced = await image(url(g, 'thumbnail'));
    expect(replaced.response.headers.get('etag')).not.toBe(first.response.headers.get('etag'));
    expect(replaced.body.equals(first.body)).toBe(false);
  });
});

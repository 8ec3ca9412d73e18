/**
 * WADO-RS retrieve over real HTTP (PS3.18 10.4): every storable sample of the shared set comes
 * back byte-identical with transfer-syntax=*, converted to Explicit VR LE by default, with
 * metadata equal to what was stored, BulkDataURIs that resolve, and frames of the right size or
 * codestream. Runs on PGlite and PostgreSQL (vitest projects).
 */
import { ItemTag, SequenceDelimitationTag } from '../src/dicom/tag.js';
import { inflateRawSync } from 'node:zlib';
import dcmjs from 'dcmjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringifyDicomJson } from '../src/dicom/json/dicom-json.js';
import type { DicomJsonDataset } from '../src/dicom/json/types.js';
import { scanPart10, type ScanResult } from '../src/dicom/part10/scan.js';
import {
  chunked,
  loadManifest,
  readSample,
  type SampleFacts,
  samplesAvailable,
} from '../src/dicom/testing/samples.js';
import { findTransferSyntax } from '../src/dicom/transfer-syntax.js';
import { TransferSyntax } from '../src/dicom/uid.js';
import {
  concat,
  explicitElement,
  itemHeader,
  text,
  uint16s,
  UNDEFINED_LENGTH,
} from '../src/dicom/testing/build-part10.js';
import { newUid } from './helpers/make-dicom.js';
import { stow } from './helpers/multipart.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { crc32 } from 'node:zlib';
import { get, readZip, splitMultipart } from './helpers/wado-multipart.js';

const ELE = TransferSyntax.ExplicitVRLittleEndian;
const stored = loadManifest().filter((f) => f.expect === 'store' && f.has_meta);

let server: TestServer;
const scans = new Map<string, ScanResult>();

function instanceUrl(f: SampleFacts): string {
  return `${server.base}/studies/${f.study_instance}/series/${f.series_instance}/instances/${f.sop_instance}`;
}

beforeAll(async () => {
  server = await startTestServer();
  const response = await stow(
    `${server.base}/studies`,
    stored.map((f) => ({ body: readSample(f.file) })),
  );
  expect(response.status).toBe(200);
  for (const f of stored) scans.set(f.file, await scanPart10(chunked(readSample(f.file))));
}, 120_000);

afterAll(async () => {
  await server?.close();
});

/** STOW zeroes the preamble (CVE-2019-11687); every other byte is kept. */
function zeroed(file: string): Buffer {
  const bytes = Buffer.from(readSample(file));
  bytes.fill(0, 0, 128);
  return bytes;
}

describe.skipIf(!samplesAvailable)('Retrieve Instance', () => {
  it.each(stored.map((f) => [f.file, f] as const))(
    '%s comes back byte-identical with transfer-syntax=*',
    async (_, f) => {
      const r = await get(instanceUrl(f), {
        Accept: 'multipart/related; type="application/dicom"; transfer-syntax=*',
      });
      expect(r.status).toBe(200);
      const parts = splitMultipart(r.body, r.contentType);
      expect(parts).toHaveLength(1);
      expect(parts[0]?.headers['content-type']).toBe(`application/dicom; transfer-syntax=${f.ts}`);
      expect(parts[0]?.body.equals(zeroed(f.file))).toBe(true);
    },
  );

  const converted = stored.filter((f) =>
    [
      TransferSyntax.ImplicitVRLittleEndian,
      TransferSyntax.ExplicitVRBigEndian,
      TransferSyntax.DeflatedExplicitVRLittleEndian,
    ].includes(f.ts as never),
  );
  it.each(converted.map((f) => [f.file, f] as const))(
    '%s is served as Explicit VR LE by default, with equal attributes',
    async (_, f) => {
      const r = await get(instanceUrl(f), {
        Accept: 'multipart/related; type="application/dicom"',
      });
      expect(r.status).toBe(200);
      const [part] = splitMultipart(r.body, r.contentType);
      expect(part?.headers['content-type']).toBe(`application/dicom; transfer-syntax=${ELE}`);
      const again = await scanPart10(chunked(part!.body));
      expect(again.transferSyntaxUid).toBe(ELE);
      expect(stringifyDicomJson(again.dataset)).toBe(
        stringifyDicomJson(scans.get(f.file)!.dataset),
      );
    },
  );

  const lossless = stored.filter(
    (f) =>
      f.ts === TransferSyntax.RLELossless ||
      f.ts === TransferSyntax.JPEGLSLossless ||
      f.ts === TransferSyntax.JPEG2000Lossless ||
      f.ts === TransferSyntax.JPEGLosslessSV1,
  );
  it.each(lossless.map((f) => [f.file, f] as const))(
    '%s (lossless compressed) is decoded to Explicit VR LE when no syntax is asked',
    async (_, f) => {
      const r = await get(instanceUrl(f), { Accept: 'application/dicom' });
      expect(r.status).toBe(200);
      expect(r.contentType).toBe(`application/dicom; transfer-syntax=${ELE}`);
      const again = await scanPart10(chunked(r.body));
      expect(again.transferSyntaxUid).toBe(ELE);
      expect(again.pixelData?.kind).toBe('native');
      const samples = f.photometric === 'PALETTE COLOR' ? 1 : (f.spp ?? 1);
      const expected =
        (f.rows ?? 0) * (f.cols ?? 0) * (f.frames ?? 1) * samples * ((f.bits_alloc ?? 8) / 8);
      expect(again.pixelData?.length).toBe(expected + (expected % 2));
      expect(again.dataset['00280004']?.Value?.[0]).not.toMatch(/^YBR_(ICT|RCT)$/);
    },
  );

  it('serves lossy JPEG as stored when no syntax is asked (decoding would not restore it)', async () => {
    const f = stored.find((s) => s.file === 'ts-jpeg-baseline_SC_ybr_full.dcm')!;
    const r = await get(instanceUrl(f), { Accept: 'application/dicom' });
    expect(r.status).toBe(200);
    expect(r.contentType).toBe(`application/dicom; transfer-syntax=${f.ts}`);
    expect(r.body.equals(zeroed(f.file))).toBe(true);
  });

  it('decodes lossy JPEG to Explicit VR LE when asked for explicitly', async () => {
    const f = stored.find((s) => s.file === 'ts-jpeg-baseline_SC_ybr_full.dcm')!;
    const r = await get(instanceUrl(f), { Accept: `application/dicom; transfer-syntax=${ELE}` });
    expect(r.status).toBe(200);
    const again = await scanPart10(chunked(r.body));
    expect(again.transferSyntaxUid).toBe(ELE);
    expect(again.dataset['00280004']?.Value).toEqual(['RGB']);
    expect(again.pixelData?.length).toBe(100 * 100 * 3);
  });

  it('answers 406 naming the offers for a syntax it cannot produce', async () => {
    const f = stored.find((s) => s.ts === ELE)!;
    const r = await get(instanceUrl(f), {
      Accept: 'multipart/related; type="application/dicom"; transfer-syntax=1.2.840.10008.1.2.4.50',
    });
    expect(r.status).toBe(406);
    expect(r.contentType).toBe('application/problem+json');
    expect(JSON.parse(r.body.toString()).detail).toMatch(
      /transfer-syntax=1\.2\.840\.10008\.1\.2\.1\|\*/,
    );
    const png = await get(instanceUrl(f), { Accept: 'image/png' });
    expect(png.status).toBe(406);
  });

  it('negotiates multipart/*, */*, q-values and the accept query parameter', async () => {
    const f = stored.find((s) => s.ts === ELE)!;
    for (const accept of ['multipart/*', '*/*', 'application/dicom;q=0.5, multipart/related']) {
      const r = await get(instanceUrl(f), { Accept: accept });
      expect([accept, r.status]).toEqual([accept, 200]);
      expect(r.contentType).toMatch(/^multipart\/related; type="application\/dicom"; boundary=/);
    }
    const single = await get(instanceUrl(f), {
      Accept: 'multipart/related; type="application/dicom"; q=0.2, application/dicom',
    });
    expect(single.contentType).toBe(`application/dicom; transfer-syntax=${ELE}`);
    expect(single.body.equals(zeroed(f.file))).toBe(true);
    const byQuery = await get(`${instanceUrl(f)}?accept=application/zip`, {
      Accept: 'application/dicom',
    });
    expect(byQuery.contentType).toBe('application/zip');
    const none = await get(instanceUrl(f), { Accept: 'image/png, text/html;q=0.9' });
    expect(none.status).toBe(406);
    const problem = JSON.parse(none.body.toString());
    expect(problem.detail).toContain('application/dicom');
    expect(problem.detail).toContain('application/zip');
  });

  it('retrieves a whole study as one part per instance, ETag and 304', async () => {
    const f = stored.find((s) => s.file === 'obj-GSPS_utf8.dcm')!;
    const sameStudy = stored.filter((s) => s.study_instance === f.study_instance);
    const url = `${server.base}/studies/${f.study_instance}`;
    const r = await get(url, {
      Accept: 'multipart/related; type="application/dicom"; transfer-syntax=*',
    });
    expect(r.status).toBe(200);
    const parts = splitMultipart(r.body, r.contentType);
    expect(parts).toHaveLength(sameStudy.length);
    const etag = r.headers.get('etag')!;
    expect(r.headers.get('cache-control')).toBe('private, no-cache');
    const again = await get(url, {
      Accept: 'multipart/related; type="application/dicom"; transfer-syntax=*',
      'If-None-Match': etag,
    });
    expect(again.status).toBe(304);
  });

  it('downloads a study as application/zip, one stored Part 10 file per instance', async () => {
    const f = stored.find((s) => s.file === 'obj-GSPS_utf8.dcm')!;
    const sameStudy = stored.filter((s) => s.study_instance === f.study_instance);
    const r = await get(`${server.base}/studies/${f.study_instance}`, {
      Accept: 'application/zip; transfer-syntax=*',
    });
    expect(r.status).toBe(200);
    expect(r.contentType).toBe('application/zip');
    expect(r.headers.get('content-disposition')).toBe(
      `attachment; filename="${f.study_instance}.zip"`,
    );
    const entries = readZip(r.body);
    expect(entries.map((e) => e.name).sort()).toEqual(
      sameStudy.map((s) => `${s.study_instance}/${s.series_instance}/${s.sop_instance}.dcm`).sort(),
    );
    for (const entry of entries) {
      const sample = sameStudy.find((s) => entry.name.endsWith(`/${s.sop_instance}.dcm`))!;
      expect(entry.data.equals(zeroed(sample.file)), entry.name).toBe(true);
      expect(entry.crc).toBe(crc32(entry.data));
    }
    // Without a transfer-syntax parameter, as with multipart: Implicit VR LE comes converted.
    const implicit = stored.find((s) => s.ts === TransferSyntax.ImplicitVRLittleEndian)!;
    const converted = await get(instanceUrl(implicit), { Accept: 'application/zip' });
    const [entry] = readZip(converted.body);
    expect((await scanPart10(chunked(entry!.data))).transferSyntaxUid).toBe(ELE);
  });

  it('answers 406 rather than decode pixel data too long for Explicit VR LE (PS3.18 8.7.3.4) or memory', async () => {
    // RLE, 2 frames of 65535×65535 16-bit: 8.6 GB decoded, past the 32-bit value length.
    const [study, series, sop] = [newUid(), newUid(), newUid()];
    const rle = new Uint8Array(64 + 2);
    new DataView(rle.buffer).setUint32(0, 1, true);
    new DataView(rle.buffer).setUint32(4, 64, true);
    const meta = concat([
      explicitElement('00020001', 'OB', new Uint8Array([0, 1])),
      explicitElement('00020002', 'UI', text('1.2.840.10008.5.1.4.1.1.7', '\0')),
      explicitElement('00020003', 'UI', text(sop, '\0')),
      explicitElement('00020010', 'UI', text(TransferSyntax.RLELossless, '\0')),
    ]);
    const groupLength = new Uint8Array(4);
    new DataView(groupLength.buffer).setUint32(0, meta.length, true);
    const preamble = new Uint8Array(132);
    preamble.set(Buffer.from('DICM'), 128);
    const bytes = concat([
      preamble,
      explicitElement('00020000', 'UL', groupLength),
      meta,
      explicitElement('00080016', 'UI', text('1.2.840.10008.5.1.4.1.1.7', '\0')),
      explicitElement('00080018', 'UI', text(sop, '\0')),
      explicitElement('0020000D', 'UI', text(study, '\0')),
      explicitElement('0020000E', 'UI', text(series, '\0')),
      explicitElement('00280002', 'US', uint16s(1)),
      explicitElement('00280004', 'CS', text('MONOCHROME2')),
      explicitElement('00280008', 'IS', text('2')),
      explicitElement('00280010', 'US', uint16s(65535)),
      explicitElement('00280011', 'US', uint16s(65535)),
      explicitElement('00280100', 'US', uint16s(16)),
      explicitElement('00280101', 'US', uint16s(16)),
      explicitElement('00280102', 'US', uint16s(15)),
      explicitElement('00280103', 'US', uint16s(0)),
      explicitElement('7FE00010', 'OB', new Uint8Array(0), UNDEFINED_LENGTH),
      itemHeader(ItemTag, 0),
      concat([itemHeader(ItemTag, rle.length), rle]),
      concat([itemHeader(ItemTag, rle.length), rle]),
      itemHeader(SequenceDelimitationTag, 0),
    ]);
    const stored = await stow(`${server.base}/studies`, [{ body: bytes }]);
    expect(stored.status, JSON.stringify(stored.json)).toBe(200);
    const url = `${server.base}/studies/${study}/series/${series}/instances/${sop}`;
    const r = await get(url, { Accept: 'multipart/related; type="application/dicom"' });
    expect(r.status).toBe(406);
    expect(JSON.parse(r.body.toString()).detail).toMatch(/4 GiB.*transfer-syntax=\*/);
    // Decoding one 8.6 GB frame is refused too, before any allocation.
    const frame = await get(`${url}/frames/1`, {
      Accept: `application/octet-stream; transfer-syntax=${ELE}`,
    });
    expect(frame.status).toBe(406);
    expect(JSON.parse(frame.body.toString()).code).toBe('imaging.too_large');
    const asStored = await get(url, { Accept: 'application/dicom; transfer-syntax=*' });
    expect(asStored.status).toBe(200);
    expect(asStored.body.length).toBe(bytes.length);
  });

  it('gives 404 for an unknown study and 400 for a malformed UID', async () => {
    expect((await get(`${server.base}/studies/1.2.3.4.5.6.7`)).status).toBe(404);
    const bad = await get(`${server.base}/studies/not-a-uid`);
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body.toString()).code).toBe('service.invalid_uid');
  });
});

/** The value bytes of a bulk element as the standard sends them (little endian, inflated). */
function expectedBulk(f: SampleFacts, scan: ScanResult, path: string): Buffer {
  const ref = scan.bulk.find((b) => b.path === path)!;
  const file = Buffer.from(readSample(f.file));
  const source = scan.deflated ? inflateRawSync(file.subarray(scan.datasetOffset)) : file;
  const offset = scan.deflated ? ref.offset - scan.datasetOffset : ref.offset;
  const value = Buffer.from(source.subarray(offset, offset + ref.length));
  if (f.ts === TransferSyntax.ExplicitVRBigEndian && ref.vr === 'OW') value.swap16();
  return value;
}

function absolutise(ds: DicomJsonDataset, prefix: string): DicomJsonDataset {
  return JSON.parse(
    stringifyDicomJson(ds).replace(
      /"BulkDataURI":"bulkdata\//g,
      `"BulkDataURI":"${prefix}/bulkdata/`,
    ),
  ) as DicomJsonDataset;
}

dcmjs.log.setLevel('silent');

/** Text and number VRs compared with dcmjs (binary, sequences and AT are left to other tests). */
const SIMPLE_VRS = new Set(
  'AE AS CS DA DS DT FD FL IS LO LT PN SH SL SS ST TM UI UL US'.split(' '),
);

/**
 * A value list as both readers should agree on it: empty values dropped, DT padding trimmed,
 * and -0 as 0 (a DS of "-0" parses to -0, which JSON cannot carry).
 */
function comparable(values: unknown[] | undefined): unknown[] {
  return (values ?? [])
    .filter((v) => v !== '' && v !== null)
    .map((v) => (typeof v === 'string' ? v.trimEnd() : v === 0 ? 0 : v));
}

/**
 * Top-level text and number elements of a sample as dcmjs (an independent reader) sees them.
 * Skipped: group lengths (PS3.18 F.2: not in DICOM JSON), SpecificCharacterSet (dcmjs rewrites
 * it once it has decoded to UTF-8) and, under ISO 2022 code extensions dcmjs does not decode,
 * person names.
 */
function dcmjsElements(f: SampleFacts): Map<string, unknown[]> {
  const bytes = readSample(f.file);
  const copy = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  const { dict } = dcmjs.data.DicomMessage.readFile(copy as ArrayBuffer, { ignoreErrors: true });
  const out = new Map<string, unknown[]>();
  for (const [tag, element] of Object.entries(
    dict as Record<string, { vr: string; Value?: unknown[] }>,
  )) {
    if (!SIMPLE_VRS.has(element.vr) || tag.endsWith('0000') || tag === '00080005') continue;
    if (element.vr === 'PN' && f.charset?.includes('2022')) continue;
    out.set(tag, comparable(element.Value));
  }
  return out;
}

describe.skipIf(!samplesAvailable)('Retrieve Metadata and Bulk Data', () => {
  it.each(stored.map((f) => [f.file, f] as const))(
    '%s: metadata agrees with the manifest and with dcmjs, not only with our own scanner',
    async (_, f) => {
      const r = await get(`${instanceUrl(f)}/metadata`, { Accept: 'application/dicom+json' });
      expect(r.status).toBe(200);
      const [metadata] = JSON.parse(r.body.toString()) as DicomJsonDataset[];
      const first = (tag: string) => metadata![tag]?.Value?.[0];
      // Literal facts of manifest.json (read with pydicom when the sample set was made).
      expect(first('00080018')).toBe(f.sop_instance);
      expect(first('0020000E')).toBe(f.series_instance);
      expect(first('0020000D')).toBe(f.study_instance);
      if (f.rows !== null) {
        expect([first('00280010'), first('00280011'), first('00280100')]).toEqual([
          f.rows,
          f.cols,
          f.bits_alloc,
        ]);
        expect(first('00280004')).toBe(f.photometric);
      }
      const reference = dcmjsElements(f);
      expect(reference.size).toBeGreaterThan(5);
      for (const [tag, values] of reference) {
        expect({ tag, values: comparable(metadata![tag]?.Value as unknown[] | undefined) }).toEqual(
          {
            tag,
            values,
          },
        );
      }
    },
  );

  it.each(stored.map((f) => [f.file, f] as const))(
    '%s: metadata is exactly what ingest indexed and every BulkDataURI resolves to its bytes',
    async (_, f) => {
      const r = await get(`${instanceUrl(f)}/metadata`, { Accept: 'application/dicom+json' });
      expect(r.status).toBe(200);
      expect(r.contentType).toBe('application/dicom+json');
      const [metadata] = JSON.parse(r.body.toString()) as DicomJsonDataset[];
      const scan = scans.get(f.file)!;
      const expected = absolutise(scan.dataset, instanceUrl(f));
      for (const tag of new Set([...Object.keys(expected), ...Object.keys(metadata!)]))
        expect({ tag, value: metadata![tag] }).toEqual({ tag, value: expected[tag] });

      const encapsulated = findTransferSyntax(f.ts!)?.encapsulated ?? false;
      for (const ref of scan.bulk) {
        const uri = `${instanceUrl(f)}/bulkdata/${ref.path}`;
        const bulk = await get(uri, { Accept: 'application/octet-stream' });
        if (encapsulated && ref.path === scan.pixelData?.tag) {
          // Compressed pixel data comes frame by frame (PS3.18 8.7.3.3.2).
          const frames = await get(uri);
          expect(frames.status).toBe(200);
          expect(splitMultipart(frames.body, frames.contentType)).toHaveLength(f.frames ?? 1);
          continue;
        }
        expect(bulk.status, ref.path).toBe(200);
        expect(bulk.body.equals(expectedBulk(f, scan, ref.path)), ref.path).toBe(true);
      }
    },
  );

  it('serves a Range of bulk data as 206 and refuses one past the end with 416', async () => {
    const f = stored.find((s) => s.file === 'ts-explicit-le_CT_small.dcm')!;
    const uri = `${instanceUrl(f)}/bulkdata/7FE00010`;
    const whole = expectedBulk(f, scans.get(f.file)!, '7FE00010');
    const part = await get(uri, { Range: 'bytes=10-99' });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 10-99/${whole.length}`);
    expect(part.body.equals(whole.subarray(10, 100))).toBe(true);
    const tail = await get(uri, { Range: 'bytes=-4' });
    expect(tail.body.equals(whole.subarray(whole.length - 4))).toBe(true);
    const beyond = await get(uri, { Range: `bytes=${whole.length}-` });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get('content-range')).toBe(`bytes */${whole.length}`);
  });

  it('makes BulkDataURIs absolute under the public base URL behind a proxy', async () => {
    const proxied = await startTestServer({ PUBLIC_BASE_URL: 'https://pacs.example.org/strata' });
    try {
      const f = stored.find((s) => s.file === 'ts-explicit-le_CT_small.dcm')!;
      await stow(`${proxied.base}/studies`, [{ body: readSample(f.file) }]);
      const url = `${proxied.base}/studies/${f.study_instance}/series/${f.series_instance}/metadata`;
      const r = await get(url);
      const [ds] = JSON.parse(r.body.toString()) as DicomJsonDataset[];
      expect(ds!['7FE00010']?.BulkDataURI).toBe(
        `https://pacs.example.org/strata/dicom-web/studies/${f.study_instance}/series/${f.series_instance}/instances/${f.sop_instance}/bulkdata/7FE00010`,
      );
    } finally {
      await proxied.close();
    }
  });

  it('builds BulkDataURIs from X-Forwarded-* headers when no public base URL is set', async () => {
    const f = stored.find((s) => s.file === 'ts-explicit-le_CT_small.dcm')!;
    const r = await get(`${instanceUrl(f)}/metadata`, {
      'X-Forwarded-Proto': 'https',
      'X-Forwarded-Host': 'viewer.example:8443',
      'X-Forwarded-Prefix': '/pacs',
    });
    const [ds] = JSON.parse(r.body.toString()) as DicomJsonDataset[];
    const path = new URL(instanceUrl(f)).pathname;
    expect(ds!['7FE00010']?.BulkDataURI).toBe(
      `https://viewer.example:8443/pacs${path}/bulkdata/7FE00010`,
    );
    // A different base is a different representation: its own validator.
    const direct = await get(`${instanceUrl(f)}/metadata`);
    expect(direct.headers.get('etag')).not.toBe(r.headers.get('etag'));
  });

  it('refuses metadata as XML with 406', async () => {
    const f = stored[0]!;
    const r = await get(`${instanceUrl(f)}/metadata`, {
      Accept: 'multipart/related; type="application/dicom+xml"',
    });
    expect(r.status).toBe(406);
  });
});

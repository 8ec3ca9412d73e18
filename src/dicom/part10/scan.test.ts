import { describe, expect, it } from 'vitest';
import { inflateRawSync } from 'node:zlib';
import dcmjs from 'dcmjs';
import { DicomParseError, NotPart10Error } from '../errors.js';
import { encapsulatedFrameRanges } from '../frames/encapsulated.js';
import { nativeFrameBits } from '../frames/native.js';
import { getNumber, getString } from '../json/dicom-json.js';
import { findTransferSyntax } from '../transfer-syntax.js';
import {
  chunked,
  loadManifest,
  readSample,
  type SampleFacts,
  samplesAvailable,
} from '../testing/samples.js';
import { scanPart10, type ScanResult } from './scan.js';

dcmjs.log.setLevel('silent');
dcmjs.log.getLogger('validation.dcmjs').setLevel('silent');

const samples = loadManifest();
const stored = samples.filter((s) => s.expect === 'store');

/** First bytes a frame must start with, by transfer syntax family. */
function frameMarker(ts: string): number[] | undefined {
  const name = findTransferSyntax(ts)?.frameMediaType;
  if (name === 'image/jpeg' || name === 'image/jls') return [0xff, 0xd8];
  if (name === 'image/jp2' || name === 'image/jphc') return [0xff, 0x4f];
  return undefined;
}

/** The bytes the layout offsets index: the file, or its inflated dataset. */
function addressable(
  file: Uint8Array,
  result: ScanResult,
): (offset: number, length: number) => Uint8Array {
  if (!result.deflated) return (offset, length) => file.subarray(offset, offset + length);
  const inflated = inflateRawSync(file.subarray(result.datasetOffset));
  return (offset, length) =>
    inflated.subarray(offset - result.datasetOffset, offset - result.datasetOffset + length);
}

function pixelDataFromDcmjs(file: Uint8Array, tag: string): Uint8Array | undefined {
  const copy = file.buffer.slice(file.byteOffset, file.byteOffset + file.byteLength);
  const { dict } = dcmjs.data.DicomMessage.readFile(copy as ArrayBuffer, { ignoreErrors: true });
  const element = dict[tag] as { Value?: ArrayBuffer[] } | undefined;
  const value = element?.Value?.[0];
  return value ? new Uint8Array(value) : undefined;
}

function checkIdentity(result: ScanResult, facts: SampleFacts): void {
  const ds = result.dataset;
  expect(result.transferSyntaxUid).toBe(facts.ts);
  expect(getString(ds, '00080018')).toBe(facts.sop_instance);
  expect(getString(ds, '0020000D')).toBe(facts.study_instance);
  expect(getString(ds, '0020000E')).toBe(facts.series_instance);
  if (facts.rows !== null) expect(getNumber(ds, '00280010')).toBe(facts.rows);
  if (facts.cols !== null) expect(getNumber(ds, '00280011')).toBe(facts.cols);
  if (facts.frames !== null) expect(getNumber(ds, '00280008')).toBe(facts.frames);
  expect(result.size).toBe(facts.size);
}

describe.skipIf(!samplesAvailable)('scanPart10 over the sample set', () => {
  it.each(stored.map((s) => [s.file, s] as const))(
    'scans %s: identity, sizes and pixel layout',
    async (file, facts) => {
      const bytes = readSample(file);
      const result = await scanPart10(chunked(bytes, [8191]));
      checkIdentity(result, facts);
      const layout = result.pixelData;
      if (facts.pixel_element === null || facts.rows === null) {
        expect(layout).toBeUndefined();
        return;
      }
      expect(layout).toBeDefined();
      if (!layout) return;
      expect(result.bulk.some((b) => b.tag === layout.tag && b.offset === layout.offset)).toBe(
        true,
      );
      const at = addressable(bytes, result);
      const frames = facts.frames ?? 1;
      if (layout.kind === 'native') {
        const bits = nativeFrameBits({
          rows: facts.rows,
          columns: facts.cols ?? 0,
          samplesPerPixel: facts.spp ?? 1,
          bitsAllocated: facts.bits_alloc ?? 8,
          photometricInterpretation: facts.photometric ?? '',
          numberOfFrames: frames,
        });
        const expected = Math.ceil((bits * frames) / 8);
        expect(layout.length).toBe(expected + (expected % 2));
        if (!result.deflated && findTransferSyntax(facts.ts ?? '')?.littleEndian) {
          expect(at(layout.offset, layout.length)).toEqual(pixelDataFromDcmjs(bytes, layout.tag));
        }
      } else {
        expect(at(layout.offset, 8)).toEqual(
          new Uint8Array([0xfe, 0xff, 0x00, 0xe0, ...at(layout.offset + 4, 4)]),
        );
        expect(at(layout.offset + layout.length - 8, 4)).toEqual(
          new Uint8Array([0xfe, 0xff, 0xdd, 0xe0]),
        );
        const ranges = encapsulatedFrameRanges(layout, frames);
        expect(ranges).toHaveLength(frames);
        const marker = frameMarker(facts.ts ?? '');
        for (const frame of ranges) {
          const first = frame[0];
          expect(first).toBeDefined();
          if (marker && first) expect([...at(first.offset, 2)]).toEqual(marker);
        }
      }
    },
  );

  it('refuses the truncated MR with a DicomParseError at the pixel data', async () => {
    const error = await scanPart10(chunked(readSample('bad-truncated_MR_small.dcm'))).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DicomParseError);
    expect((error as DicomParseError).message).toMatch(/7FE00010 at byte \d+/);
  });

  it.each(samples.filter((s) => !s.has_meta).map((s) => s.file))(
    'refuses %s (no preamble/meta) as not Part 10',
    async (file) => {
      await expect(scanPart10(chunked(readSample(file)))).rejects.toBeInstanceOf(NotPart10Error);
    },
  );

  it.each(
    samples
      .filter((s) => s.has_meta && s.expect !== 'store' && !s.file.startsWith('bad-'))
      .map((s) => s.file),
  )('scans parser fixture %s to its last byte; it has no SOP Instance UID', async (file) => {
    // These datasets are well formed (the server refuses them later for their missing
    // identity, not here): a parse error would be a scanner bug.
    const bytes = readSample(file);
    const result = await scanPart10(chunked(bytes, [7]));
    expect(result.size).toBe(bytes.length);
    expect(getString(result.dataset, '00080018')).toBeUndefined();
  });

  it('walks JPEG 2000 fragments by length even when a fragment holds FFFE,E0DD bytes', async () => {
    const bytes = readSample('odd-j2k-fragment-contains-delimiter-bytes.dcm');
    const result = await scanPart10(chunked(bytes));
    const layout = result.pixelData;
    expect(layout?.kind).toBe('encapsulated');
    if (layout?.kind !== 'encapsulated') return;
    expect(layout.offset + layout.length).toBe(bytes.length);
    const fragment = layout.fragments[0];
    expect(fragment).toBeDefined();
    const value = Buffer.from(
      bytes.subarray(fragment?.offset, (fragment?.offset ?? 0) + (fragment?.length ?? 0)),
    );
    expect(value.indexOf(Buffer.from([0xfe, 0xff, 0xdd, 0xe0]))).toBeGreaterThan(-1);
  });

  it('reads a private sequence stored as UN of undefined length as an implicit VR sequence', async () => {
    const result = await scanPart10(chunked(readSample('odd-private-SQ-as-UN.dcm')));
    const sequence = result.dataset['4453100C'];
    expect(sequence?.vr).toBe('SQ');
    expect(sequence?.Value).toHaveLength(1);
  });

  it('reads private sequences nested in private sequences (implicit VR)', async () => {
    const result = await scanPart10(chunked(readSample('odd-nested-private-SQ.dcm')));
    const outer = result.dataset['00010001'];
    expect(outer?.vr).toBe('SQ');
    const inner = (outer?.Value?.[0] as Record<string, { vr: string }> | undefined)?.['00010001'];
    expect(inner?.vr).toBe('SQ');
  });

  it('records bulk data besides the pixel data with paths into sequences', async () => {
    const result = await scanPart10(chunked(readSample('bulk-overlay-icon_MR_siemens.dcm')));
    const paths = result.bulk.map((b) => b.path);
    expect(paths).toContain('60003000');
    expect(paths).toContain('7FE00010');
    expect(paths.some((p) => p.startsWith('00880200/0/'))).toBe(true);
    expect(result.dataset['60003000']).toEqual({ vr: 'OW', BulkDataURI: 'bulkdata/60003000' });
  });

  it('gives the Float Pixel Data layout of a parametric map', async () => {
    const result = await scanPart10(chunked(readSample('obj-parametric-map_float32.dcm')));
    expect(result.pixelData).toMatchObject({
      kind: 'native',
      tag: '7FE00008',
      vr: 'OF',
      length: 128 * 128 * 4,
    });
  });

  it('counts deflated offsets in the inflated dataset', async () => {
    const result = await scanPart10(chunked(readSample('ts-deflated_SC.dcm')));
    expect(result.deflated).toBe(true);
    expect(result.pixelData?.offset).toBeGreaterThan(result.datasetOffset);
  });

  it('tolerates the odd-length pixel data of a 3x3 RGB image with a warning', async () => {
    const result = await scanPart10(chunked(readSample('odd-length_SC_rgb_3x3.dcm')));
    expect(result.pixelData?.length).toBe(28);
  });

  it('uses the injected BulkDataURI builder', async () => {
    const result = await scanPart10(chunked(readSample('ts-explicit-le_CT_small.dcm')), {
      bulkDataUri: (path) => `https://x.test/bulk/${path}`,
    });
    expect(result.dataset['7FE00010']).toEqual({
      vr: 'OW',
      BulkDataURI: 'https://x.test/bulk/7FE00010',
    });
  });
});

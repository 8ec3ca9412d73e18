import { describe, expect, it } from 'vitest';
import { chunked, loadManifest, readSample, samplesAvailable } from '../testing/samples.js';
import { DicomParseError } from '../errors.js';
import { stringifyDicomJson } from '../json/dicom-json.js';
import { ItemTag } from '../tag.js';
import {
  concat,
  explicitElement,
  implicitElement,
  itemHeader,
  part10,
  text,
} from '../testing/build-part10.js';
import { TransferSyntax } from '../uid.js';
import { scanPart10 } from './scan.js';
import { textBytes, usBytes } from './element-writer.js';
import { canTranscodeToExplicitLittle, transcodeToExplicitLittle } from './transcode.js';

async function collect(source: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const chunk of source) parts.push(chunk);
  return Buffer.concat(parts);
}

/** Relative BulkDataURIs are paths; offsets differ between syntaxes, values must not. */
const uncompressed = loadManifest().filter(
  (f) =>
    f.expect === 'store' &&
    f.has_meta &&
    f.ts !== null &&
    canTranscodeToExplicitLittle(f.ts) &&
    !findEncapsulated(f.ts),
);

function findEncapsulated(ts: string): boolean {
  return ts.startsWith('1.2.840.10008.1.2.4') || ts === TransferSyntax.RLELossless;
}

function pixelBytes(file: Uint8Array, scan: Awaited<ReturnType<typeof scanPart10>>): Uint8Array {
  const p = scan.pixelData;
  if (!p || p.kind !== 'native') return new Uint8Array(0);
  return file.subarray(p.offset, p.offset + p.length);
}

describe('transcodeToExplicitLittle', () => {
  it.skipIf(!samplesAvailable)('covers implicit, big-endian and deflated samples', () => {
    const syntaxes = new Set(uncompressed.map((f) => f.ts));
    expect(syntaxes).toContain(TransferSyntax.ImplicitVRLittleEndian);
    expect(syntaxes).toContain(TransferSyntax.ExplicitVRBigEndian);
    expect(syntaxes).toContain(TransferSyntax.DeflatedExplicitVRLittleEndian);
  });

  for (const facts of uncompressed) {
    it.skipIf(!samplesAvailable)(
      `rewrites ${facts.file} as Explicit VR LE with equal attributes and pixel data`,
      async () => {
        const input = readSample(facts.file);
        const output = await collect(transcodeToExplicitLittle(chunked(input, [7, 1000, 65536])));
        const before = await scanPart10(chunked(input));
        const after = await scanPart10(chunked(output));
        expect(after.transferSyntaxUid).toBe(TransferSyntax.ExplicitVRLittleEndian);
        expect(after.deflated).toBe(false);
        expect(stringifyDicomJson(after.dataset)).toBe(stringifyDicomJson(before.dataset));
        expect(after.size).toBe(output.length);
        if (facts.ts === TransferSyntax.DeflatedExplicitVRLittleEndian) return; // offsets are inflated
        const original = Buffer.from(pixelBytes(input, before));
        const converted = Buffer.from(pixelBytes(output, after));
        if (
          facts.ts === TransferSyntax.ExplicitVRBigEndian &&
          before.pixelData?.kind === 'native' &&
          before.pixelData.vr === 'OW'
        )
          original.swap16();
        expect(converted.equals(original)).toBe(true);
      },
    );
  }

  it.skipIf(!samplesAvailable)(
    'replaces and inserts top-level attributes and the pixel data',
    async () => {
      const input = readSample('ts-explicit-le_CT_small.dcm');
      const pixels = new Uint8Array(128 * 128 * 2).fill(7);
      const output = await collect(
        transcodeToExplicitLittle(chunked(input), {
          replace: new Map([
            ['00280004', { vr: 'CS', value: textBytes('MONOCHROME1') }],
            ['00280006', { vr: 'US', value: usBytes(0) }],
            ['00080005', null],
          ]),
          pixelData: { vr: 'OW', length: pixels.length, chunks: () => chunked(pixels, [1000]) },
        }),
      );
      const after = await scanPart10(chunked(output));
      expect(after.dataset['00280004']?.Value).toEqual(['MONOCHROME1']);
      expect(after.dataset['00280006']?.Value).toEqual([0]);
      expect(after.dataset['00080005']).toBeUndefined();
      expect(Buffer.from(pixelBytes(output, after)).equals(Buffer.from(pixels))).toBe(true);
    },
  );

  it('refuses a file without the DICM prefix', async () => {
    await expect(collect(transcodeToExplicitLittle(chunked(new Uint8Array(200))))).rejects.toThrow(
      /DICM/,
    );
  });
});

/** Cases where the transcoder once read headers by rules of its own; now the tokenizer's. */
describe('transcodeToExplicitLittle reads elements as the scanner does', () => {
  const IMPLICIT = TransferSyntax.ImplicitVRLittleEndian;

  /** An explicit-VR element with a VR outside PS3.5 Table 6.2-1 (32-bit length form). */
  function unknownVrElement(tag: string, value: Uint8Array): Uint8Array {
    const bytes = explicitElement(tag, 'UN', value);
    bytes[4] = 'Z'.charCodeAt(0);
    bytes[5] = 'Z'.charCodeAt(0);
    return bytes;
  }

  it('writes a UN of a standard tag with its dictionary VR and an unknown VR as UN (PS3.5 §6.2, §6.2.2)', async () => {
    const seriesUid = implicitElement('0020000E', text('1.2.3.4.5.6.7', '\0'));
    const seriesItem = concat([itemHeader(ItemTag, seriesUid.length), seriesUid]);
    const input = part10([
      explicitElement('00081115', 'UN', seriesItem),
      explicitElement('00090010', 'LO', text('ACME')),
      unknownVrElement('00091011', text('AB')),
      explicitElement('00100010', 'UN', text('DOE^J')),
    ]);
    const before = await scanPart10(chunked(input));
    expect(before.warnings).toContain(
      'UN elements of standard tags decoded with their dictionary VR',
    );
    const output = await collect(transcodeToExplicitLittle(chunked(input, [5])));
    const after = await scanPart10(chunked(output));
    // The rewritten file carries the real VRs: nothing left to re-type or guess.
    expect(after.warnings).toEqual([]);
    expect(after.dataset['00100010']?.vr).toBe('PN');
    expect(after.dataset['00091011']?.vr).toBe('UN');
    expect(stringifyDicomJson(after.dataset)).toBe(stringifyDicomJson(before.dataset));
  });

  it('writes an implicit-VR private element holding items as a sequence', async () => {
    const inner = implicitElement('00091012', text('AB'));
    const item = concat([itemHeader(ItemTag, inner.length), inner]);
    const input = part10(
      [
        implicitElement('00090010', text('ACME')),
        implicitElement('00091010', item),
        implicitElement('00100010', text('DOE^J')),
      ],
      IMPLICIT,
    );
    const before = await scanPart10(chunked(input));
    expect(before.dataset['00091010']?.vr).toBe('SQ');
    const output = await collect(transcodeToExplicitLittle(chunked(input, [3])));
    const after = await scanPart10(chunked(output));
    expect(stringifyDicomJson(after.dataset)).toBe(stringifyDicomJson(before.dataset));
  });

  it('refuses a VR that is not two uppercase letters, as the scanner does', async () => {
    const input = part10([explicitElement('00100010', 'PN', text('DOE^J'))]);
    const bad = input.slice();
    bad[bad.length - 6 - 4] = 'p'.charCodeAt(0); // the VR's first letter (6-byte value)
    await expect(scanPart10(chunked(bad))).rejects.toBeInstanceOf(DicomParseError);
    await expect(collect(transcodeToExplicitLittle(chunked(bad)))).rejects.toThrow(
      /invalid VR of 00100010/,
    );
  });
});

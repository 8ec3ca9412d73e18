import { describe, expect, it } from 'vitest';
import { chunked, loadManifest, readSample, samplesAvailable } from '../testing/samples.js';
import { stringifyDicomJson } from '../json/dicom-json.js';
import { TransferSyntax } from '../uid.js';
import { scanPart10 } from './scan.js';
import {
  canTranscodeToExplicitLittle,
  transcodeToExplicitLittle,
  textBytes,
  usBytes,
} from './transcode.js';

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

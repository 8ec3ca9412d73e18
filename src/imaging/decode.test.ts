import dcmjs from 'dcmjs';
import { describe, expect, it } from 'vitest';
import { TransferSyntax } from '../dicom/uid.js';
import sharp from 'sharp';
import { canDecode, decodeFrame } from './decode.js';
import { decodeJpegSequential } from './jpeg-extended.js';
import { decodeWithWasm } from './wasm-decoders.js';
import { UnsupportedTransferSyntaxError } from '../dicom/errors.js';
import { DecodeError } from './errors.js';
import type { PixelDescription } from './pixel-description.js';
import { sampleFrames } from './testing/sample-frames.js';
import { readSample, samplesAvailable } from '../dicom/testing/samples.js';

dcmjs.log.setLevel('silent');

/** Every decodable sample: frame 1 decodes to rows × columns × samples × bytes. */
const DECODABLE = [
  ['ts-implicit-le_MR_small.dcm', 'MONOCHROME2', 16],
  ['ts-explicit-le_CT_small.dcm', 'MONOCHROME2', 16],
  ['ts-explicit-be_US_rgb.dcm', 'RGB', 8],
  ['ts-deflated_SC.dcm', 'MONOCHROME2', 8],
  ['ts-jpeg-baseline_SC_ybr_full.dcm', 'RGB', 8],
  ['mf-us-cine_jpeg-baseline_ybr422.dcm', 'RGB', 8],
  ['ts-jpeg-extended-12bit_NM.dcm', 'MONOCHROME2', 16],
  ['ts-jpeg-lossless-sv1_US_8bit.dcm', 'MONOCHROME2', 8],
  ['ts-jpeg-lossless-sv1_NM_16bit_signed.dcm', 'MONOCHROME2', 16],
  ['ts-jpegls-lossless_NM_nema.dcm', 'MONOCHROME2', 16],
  ['ts-jpegls-near-lossless_CT_nema.dcm', 'MONOCHROME2', 16],
  ['ts-j2k-lossless_US_ybr_rct.dcm', 'RGB', 8],
  ['ts-j2k-lossy_CR_monochrome1.dcm', 'MONOCHROME1', 16],
  ['ts-rle_RTDOSE_32bit_15frames.dcm', 'MONOCHROME2', 32],
  ['ts-rle_SC_rgb_16bit_2frames.dcm', 'RGB', 16],
  ['ts-htj2k_SC_rgb.dcm', 'RGB', 8],
  ['pi-palette-color_US_rle.dcm', 'PALETTE COLOR', 8],
  ['mf-wsi-SM_rgb_25frames.dcm', 'RGB', 8],
] as const;

async function decodeSample(file: string, frame = 0) {
  const s = await sampleFrames(file);
  return decodeFrame(s.frames[frame]!, s.transferSyntaxUid, s.description);
}

describe('decodeFrame', () => {
  it.skipIf(!samplesAvailable).each(DECODABLE)(
    '%s decodes to the full frame as %s, %i bits allocated, interleaved',
    async (file, photometric, bits) => {
      const { description, data } = await decodeSample(file);
      const bytes = bits / 8;
      expect(description.photometricInterpretation).toBe(photometric);
      expect(description.bitsAllocated).toBe(bits);
      expect(description.planarConfiguration).toBe(0);
      expect(data.length).toBe(
        description.rows * description.columns * description.samplesPerPixel * bytes,
      );
    },
  );

  it.skipIf(!samplesAvailable)(
    'JPEG-LS lossless and JPEG Lossless SV1 of the same NEMA NM1 image decode to identical pixels',
    async () => {
      const jls = await decodeSample('ts-jpegls-lossless_NM_nema.dcm');
      const jpll = await decodeSample('ts-jpeg-lossless-sv1_NM_16bit_signed.dcm');
      expect(jls.data.length).toBe(1024 * 256 * 2);
      expect(Buffer.from(jls.data).equals(Buffer.from(jpll.data))).toBe(true);
      // Not a blank image: the comparison would be vacuous otherwise.
      expect(new Set(jls.data).size).toBeGreaterThan(10);
    },
  );

  it.skipIf(!samplesAvailable)(
    'JPEG Baseline YBR_FULL comes out as RGB: the first band of pydicom SC_rgb is red',
    async () => {
      const { data } = await decodeSample('ts-jpeg-baseline_SC_ybr_full.dcm');
      const [r, g, b] = data;
      expect(r).toBeGreaterThan(245);
      expect(g).toBeLessThan(10);
      expect(b).toBeLessThan(10);
    },
  );

  it.skipIf(!samplesAvailable)(
    'RLE: 16-bit RGB first pixel is (65535, 0, 0); 32-bit RT Dose first value is 1249000',
    async () => {
      const rgb = await decodeSample('ts-rle_SC_rgb_16bit_2frames.dcm');
      expect([...rgb.data.subarray(0, 6)]).toEqual([0xff, 0xff, 0, 0, 0, 0]);
      const dose = await decodeSample('ts-rle_RTDOSE_32bit_15frames.dcm');
      expect(new DataView(dose.data.buffer, dose.data.byteOffset).getUint32(0, true)).toBe(1249000);
    },
  );

  it('native planar configuration 1 is interleaved and big-endian 16-bit words are swapped', async () => {
    const description: PixelDescription = {
      rows: 1,
      columns: 2,
      samplesPerPixel: 3,
      bitsAllocated: 8,
      bitsStored: 8,
      highBit: 7,
      pixelRepresentation: 0,
      photometricInterpretation: 'RGB',
      planarConfiguration: 1,
      numberOfFrames: 1,
    };
    const planar = await decodeFrame(
      new Uint8Array([1, 2, 3, 4, 5, 6]),
      TransferSyntax.ExplicitVRLittleEndian,
      description,
    );
    expect([...planar.data]).toEqual([1, 3, 5, 2, 4, 6]);
    expect(planar.description.planarConfiguration).toBe(0);
    const mono16 = {
      ...description,
      samplesPerPixel: 1,
      bitsAllocated: 16,
      bitsStored: 16,
      highBit: 15,
      photometricInterpretation: 'MONOCHROME2',
      planarConfiguration: 0 as const,
    };
    const swapped = await decodeFrame(
      new Uint8Array([0x12, 0x34, 0xab, 0xcd]),
      TransferSyntax.ExplicitVRBigEndian,
      mono16,
    );
    expect([...swapped.data]).toEqual([0x34, 0x12, 0xcd, 0xab]);
  });

  it.skipIf(!samplesAvailable)(
    'refuses JPEG XL with a typed error naming what is decodable',
    async () => {
      expect(canDecode('1.2.840.10008.1.2.4.110')).toBe(false);
      expect(canDecode(TransferSyntax.HTJ2K)).toBe(true);
      const s = await sampleFrames('ts-implicit-le_MR_small.dcm');
      const error = await decodeFrame(s.frames[0]!, '1.2.840.10008.1.2.4.110', s.description).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(UnsupportedTransferSyntaxError);
      expect((error as UnsupportedTransferSyntaxError).decodable).toContain(
        TransferSyntax.RLELossless,
      );
    },
  );

  it.skipIf(!samplesAvailable)(
    'a damaged codestream or a short native frame is a DecodeError, not a crash',
    async () => {
      await expect(
        decodeSample('odd-j2k-fragment-contains-delimiter-bytes.dcm'),
      ).rejects.toBeInstanceOf(DecodeError);
      const s = await sampleFrames('ts-explicit-le_CT_small.dcm');
      await expect(
        decodeFrame(s.frames[0]!.subarray(0, 100), s.transferSyntaxUid, s.description),
      ).rejects.toBeInstanceOf(DecodeError);
      await expect(
        decodeFrame(
          new Uint8Array([0xff, 0xd8, 0xff, 0xd9]),
          TransferSyntax.JPEGBaseline8Bit,
          s.description,
        ),
      ).rejects.toBeInstanceOf(DecodeError);
    },
  );
});

describe.skipIf(!samplesAvailable)('decoded data', () => {
  it('is a plain Uint8Array for every WASM codec (not a Uint8ClampedArray view)', async () => {
    for (const file of [
      'ts-jpeg-baseline_SC_ybr_full.dcm',
      'ts-jpegls-lossless_NM_nema.dcm',
      'ts-j2k-lossless_US_ybr_rct.dcm',
      'ts-htj2k_SC_rgb.dcm',
    ]) {
      const { data } = await decodeSample(file);
      expect([file, data.constructor]).toEqual([file, Uint8Array]);
    }
  });
});

describe('12-bit JPEG Extended (Process 4)', () => {
  it.skipIf(!samplesAvailable)(
    'decodes NEMA NM1_JPLY close to the lossless NM1_JPLL of the same image',
    async () => {
      const lossy = await decodeSample('ts-jpeg-extended-12bit_NM.dcm');
      const lossless = await decodeSample('ts-jpeg-lossless-sv1_NM_16bit_signed.dcm');
      const a = new DataView(lossy.data.buffer, lossy.data.byteOffset);
      const b = new DataView(lossless.data.buffer, lossless.data.byteOffset);
      const pixels = 1024 * 256;
      let error = 0;
      let signal = 0;
      for (let i = 0; i < pixels; i++) {
        error += Math.abs(a.getUint16(i * 2, true) - b.getInt16(i * 2, true));
        signal += Math.abs(b.getInt16(i * 2, true));
      }
      // Lossy: small differences, far below the image's own values (not a blank or shifted image).
      expect(error / pixels).toBeLessThan(4);
      expect(signal / pixels).toBeGreaterThan(10);
    },
  );

  it('agrees with libjpeg-turbo (±1) on an 8-bit grayscale JPEG', async () => {
    const width = 61;
    const height = 37;
    const gray = Buffer.alloc(width * height);
    for (let i = 0; i < gray.length; i++) gray[i] = (i * 7 + (i % width) * 3) & 0xff;
    const jpeg = await sharp(gray, { raw: { width, height, channels: 1 } })
      .toColourspace('b-w')
      .jpeg({ quality: 80 })
      .toBuffer();
    const ours = decodeJpegSequential(new Uint8Array(jpeg));
    const reference = await decodeWithWasm('jpeg', new Uint8Array(jpeg));
    expect(ours.info).toMatchObject({ width, height, componentCount: 1 });
    let worst = 0;
    for (let i = 0; i < width * height; i++)
      worst = Math.max(worst, Math.abs((ours.data[i] ?? 0) - (reference.data[i] ?? 0)));
    expect(worst).toBeLessThanOrEqual(1);
  });
});

/** Native Pixel Data of a sample as dcmjs (an independent parser) reads it, OB/OW as stored. */
function dcmjsPixelData(file: string): Uint8Array {
  const bytes = readSample(file);
  const copy = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  const { dict } = dcmjs.data.DicomMessage.readFile(copy as ArrayBuffer, { ignoreErrors: true });
  const element = dict['7FE00010'] as { Value: ArrayBuffer[] } | undefined;
  if (!element) throw new Error(`dcmjs found no pixel data in ${file}`);
  return new Uint8Array(element.Value[0]!);
}

/**
 * PS3.5 Annex G, written out independently of rle.ts: each segment is PackBits; segments hold
 * one byte plane each, most significant byte first, sample by sample. Returns interleaved
 * little-endian samples.
 */
function referenceRle(
  frame: Uint8Array,
  samples: number,
  bytesPerSample: number,
  pixels: number,
): Uint8Array {
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const count = view.getUint32(0, true);
  const out = new Uint8Array(pixels * samples * bytesPerSample);
  for (let segment = 0; segment < count; segment++) {
    const start = view.getUint32(4 + segment * 4, true);
    const end = segment + 1 < count ? view.getUint32(8 + segment * 4, true) : frame.length;
    const plane: number[] = [];
    for (let i = start; i < end && plane.length < pixels;) {
      const n = (frame[i++]! << 24) >> 24;
      if (n >= 0) for (let k = 0; k <= n; k++) plane.push(frame[i++]!);
      else if (n !== -128) {
        const value = frame[i++]!;
        for (let k = 0; k < 1 - n; k++) plane.push(value);
      }
    }
    const sample = Math.floor(segment / bytesPerSample);
    const byte = bytesPerSample - 1 - (segment % bytesPerSample);
    for (let p = 0; p < pixels; p++)
      out[(p * samples + sample) * bytesPerSample + byte] = plane[p]!;
  }
  return out;
}

/** Largest and mean absolute difference of two byte arrays of one length. */
function difference(a: Uint8Array, b: Uint8Array): { worst: number; mean: number } {
  expect(a.length).toBe(b.length);
  let worst = 0;
  let total = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    total += d;
    worst = Math.max(worst, d);
  }
  return { worst, mean: total / a.length };
}

describe.skipIf(!samplesAvailable)('decoded pixels equal an independent reference', () => {
  it.each([
    ['ts-implicit-le_MR_small.dcm', 0],
    ['ts-explicit-le_CT_small.dcm', 0],
    ['ts-explicit-be_US_rgb.dcm', 0],
    ['ts-deflated_SC.dcm', 0],
    ['mf-wsi-SM_rgb_25frames.dcm', 6],
  ] as const)('native %s frame %i: the pixel data dcmjs reads', async (file, frame) => {
    const { data } = await decodeSample(file, frame);
    const s = await sampleFrames(file);
    const all = dcmjsPixelData(file);
    let reference = all.subarray(frame * data.length, (frame + 1) * data.length);
    if (s.description.planarConfiguration === 1) {
      // Stored colour by colour (PS3.3 C.7.6.3.1.3); decoded samples are interleaved.
      const planes = s.description.samplesPerPixel;
      const pixels = data.length / planes;
      reference = reference.map(
        (_, i) => reference[(i % planes) * pixels + Math.floor(i / planes)]!,
      );
    }
    expect(Buffer.from(data).equals(Buffer.from(reference))).toBe(true);
    expect(new Set(data).size).toBeGreaterThan(2);
  });

  it.each([
    ['ts-rle_SC_rgb_16bit_2frames.dcm', 1],
    ['ts-rle_RTDOSE_32bit_15frames.dcm', 14],
    ['pi-palette-color_US_rle.dcm', 0],
  ] as const)(
    'RLE %s frame %i: a separate PackBits decoding of its segments',
    async (file, frame) => {
      const s = await sampleFrames(file);
      const { data, description } = await decodeSample(file, frame);
      const reference = referenceRle(
        s.frames[frame]!,
        description.samplesPerPixel,
        description.bitsAllocated / 8,
        description.rows * description.columns,
      );
      expect(Buffer.from(data).equals(Buffer.from(reference))).toBe(true);
      expect(new Set(data).size).toBeGreaterThan(2);
    },
  );

  it.each([
    ['ts-jpeg-baseline_SC_ybr_full.dcm', 0],
    ['mf-us-cine_jpeg-baseline_ybr422.dcm', 12],
  ] as const)(
    'JPEG Baseline %s frame %i: within a few levels of what sharp (libvips) decodes from the same codestream',
    async (file, frame) => {
      const s = await sampleFrames(file);
      const { data, description } = await decodeSample(file, frame);
      const reference = await sharp(Buffer.from(s.frames[frame]!))
        .raw()
        .toBuffer({ resolveWithObject: true });
      expect([reference.info.width, reference.info.height, reference.info.channels]).toEqual([
        description.columns,
        description.rows,
        3,
      ]);
      // Lossy codestream: decoders may round and upsample chroma differently, never by much.
      const { worst, mean } = difference(data, new Uint8Array(reference.data));
      expect(mean).toBeLessThan(1.5);
      expect(worst).toBeLessThan(48);
      expect(new Set(data).size).toBeGreaterThan(2);
    },
  );
});

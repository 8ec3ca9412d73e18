import { describe, expect, it } from 'vitest';
import { FrameLayoutError } from '../errors.js';
import { getNumber, getString } from '../json/dicom-json.js';
import type { NativePixelData } from '../part10/layout.js';
import { scanPart10 } from '../part10/scan.js';
import { chunked, readSample, samplesAvailable } from '../testing/samples.js';
import { nativeFrameRange, type NativeImageGeometry } from './native.js';

async function scanNative(
  file: string,
): Promise<{ layout: NativePixelData; geometry: NativeImageGeometry; bytes: Uint8Array }> {
  const bytes = readSample(file);
  const { dataset: ds, pixelData } = await scanPart10(chunked(bytes));
  if (pixelData?.kind !== 'native') throw new Error('expected native pixel data');
  const geometry: NativeImageGeometry = {
    rows: getNumber(ds, '00280010') ?? 0,
    columns: getNumber(ds, '00280011') ?? 0,
    samplesPerPixel: getNumber(ds, '00280002') ?? 1,
    bitsAllocated: getNumber(ds, '00280100') ?? 0,
    photometricInterpretation: getString(ds, '00280004') ?? '',
    numberOfFrames: getNumber(ds, '00280008') ?? 1,
  };
  return { layout: pixelData, geometry, bytes };
}

describe('nativeFrameRange', () => {
  it.skipIf(!samplesAvailable)('splits the 10 frames of the enhanced MR evenly', async () => {
    const { layout, geometry } = await scanNative('mf-enhanced-MR_10frames.dcm');
    const frameBytes = 64 * 64 * 2;
    expect(nativeFrameRange(layout, 0, geometry)).toEqual({
      offset: layout.offset,
      length: frameBytes,
      bitOffset: 0,
      bitLength: frameBytes * 8,
    });
    expect(nativeFrameRange(layout, 9, geometry).offset).toBe(layout.offset + 9 * frameBytes);
    expect(() => nativeFrameRange(layout, 10, geometry)).toThrow(FrameLayoutError);
  });

  it.skipIf(!samplesAvailable)('gives RGB tiles of the slide 300 bytes each', async () => {
    const { layout, geometry } = await scanNative('mf-wsi-SM_rgb_25frames.dcm');
    const last = nativeFrameRange(layout, 24, geometry);
    expect(last).toMatchObject({ offset: layout.offset + 24 * 300, length: 300 });
    expect(last.offset + last.length).toBe(layout.offset + layout.length);
  });

  it.skipIf(!samplesAvailable)('uses 2 bytes per pixel for native YBR_FULL_422', async () => {
    const { layout, geometry } = await scanNative('pi-ybr-full-422_native.dcm');
    expect(nativeFrameRange(layout, 0, geometry).length).toBe(100 * 100 * 2);
  });

  it.skipIf(!samplesAvailable)('packs 1-bit segmentation frames across bytes', async () => {
    const { layout, geometry } = await scanNative('obj-SEG_liver_3frames.dcm');
    expect(nativeFrameRange(layout, 2, geometry)).toEqual({
      offset: layout.offset + 2 * 32768,
      length: 32768,
      bitOffset: 0,
      bitLength: 512 * 512,
    });
    const odd: NativeImageGeometry = { ...geometry, rows: 3, columns: 3, numberOfFrames: 3 };
    const layout9: NativePixelData = {
      kind: 'native',
      tag: '7FE00010',
      vr: 'OB',
      offset: 1000,
      length: 4,
    };
    expect(nativeFrameRange(layout9, 1, odd)).toEqual({
      offset: 1001,
      length: 2,
      bitOffset: 1,
      bitLength: 9,
    });
    expect(nativeFrameRange(layout9, 2, odd)).toEqual({
      offset: 1002,
      length: 2,
      bitOffset: 2,
      bitLength: 9,
    });
  });

  it('refuses a frame past the end of the pixel data', () => {
    const layout: NativePixelData = {
      kind: 'native',
      tag: '7FE00010',
      vr: 'OW',
      offset: 0,
      length: 100,
    };
    const geometry: NativeImageGeometry = {
      rows: 8,
      columns: 8,
      samplesPerPixel: 1,
      bitsAllocated: 16,
      photometricInterpretation: 'MONOCHROME2',
      numberOfFrames: 2,
    };
    expect(() => nativeFrameRange(layout, 1, geometry)).toThrow(/ends past the pixel data/);
  });
});

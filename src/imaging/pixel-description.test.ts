import { describe, expect, it } from 'vitest';
import { NotAnImageError } from './errors.js';
import { frameByteLength, pixelDescriptionOf } from './pixel-description.js';
import { sampleFrames } from './testing/sample-frames.js';
import { samplesAvailable } from '../dicom/testing/samples.js';

describe('pixelDescriptionOf', () => {
  it.skipIf(!samplesAvailable)('reads the Image Pixel Module of a signed 16-bit CT', async () => {
    const { dataset } = await sampleFrames('ts-explicit-le_CT_small.dcm');
    expect(pixelDescriptionOf(dataset)).toEqual({
      rows: 128,
      columns: 128,
      samplesPerPixel: 1,
      bitsAllocated: 16,
      bitsStored: 16,
      highBit: 15,
      pixelRepresentation: 1,
      photometricInterpretation: 'MONOCHROME2',
      planarConfiguration: 0,
      numberOfFrames: 1,
    });
  });

  it.skipIf(!samplesAvailable)(
    'counts frames and 2 stored samples per pixel for native YBR_FULL_422',
    async () => {
      const cine = await sampleFrames('mf-us-cine_jpeg-baseline_ybr422.dcm');
      expect(cine.description.numberOfFrames).toBe(30);
      const ybr = await sampleFrames('pi-ybr-full-422_native.dcm');
      expect(frameByteLength(ybr.description)).toBe(100 * 100 * 2);
    },
  );

  it('refuses a dataset without Pixel Data or Rows', () => {
    expect(() => pixelDescriptionOf({ '00280010': { vr: 'US', Value: [4] } })).toThrow(
      NotAnImageError,
    );
    expect(() =>
      pixelDescriptionOf({
        '7FE00010': { vr: 'OW', BulkDataURI: 'x' },
        '00280011': { vr: 'US', Value: [4] },
      }),
    ).toThrow(/Rows/);
  });
});

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { chunked, readSample, samplesAvailable } from '../testing/samples.js';
import { scanPart10 } from './scan.js';

/** Small files that cover the syntaxes and structures: any chunking must give the same result. */
const FILES = [
  'ts-implicit-le_MR_small.dcm',
  'ts-explicit-be_US_rgb.dcm',
  'ts-deflated_SC.dcm',
  'ts-jpeg-baseline_SC_ybr_full.dcm',
  'ts-rle_RTDOSE_32bit_15frames.dcm',
  'odd-j2k-fragment-contains-delimiter-bytes.dcm',
  'odd-private-SQ-as-UN.dcm',
  'odd-nested-private-SQ.dcm',
  'cs-sequence-own-charset.dcm',
  'cs-iso2022-ir87_japanese.dcm',
  'obj-SR_comprehensive_nested.dcm',
  'mf-wsi-SM_rgb_25frames.dcm',
];

describe.skipIf(!samplesAvailable)('scanPart10 chunking', () => {
  it.each(FILES)('gives the same result for %s in 1-byte chunks', async (file) => {
    const bytes = readSample(file);
    const whole = await scanPart10(chunked(bytes));
    expect(await scanPart10(chunked(bytes, [1]))).toEqual(whole);
  });

  it('gives the same result for any split into chunks (property)', async () => {
    const cases = await Promise.all(
      FILES.map(async (file) => {
        const bytes = readSample(file);
        return { bytes, whole: await scanPart10(chunked(bytes)) };
      }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: cases.length - 1 }),
        fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 40 }),
        async (index, sizes) => {
          const { bytes, whole } = cases[index] ?? { bytes: new Uint8Array(0), whole: undefined };
          expect(await scanPart10(chunked(bytes, sizes))).toEqual(whole);
        },
      ),
      { numRuns: 150, interruptAfterTimeLimit: 20_000 },
    );
  });
});

import { describe, expect, it } from 'vitest';
import { FrameLayoutError } from '../errors.js';
import type { EncapsulatedPixelData } from '../part10/layout.js';
import { scanPart10 } from '../part10/scan.js';
import { chunked, readSample, samplesAvailable } from '../testing/samples.js';
import { encapsulatedFrameRanges, splitEncapsulatedFrames } from './encapsulated.js';

async function scanEncapsulated(
  file: string,
): Promise<{ layout: EncapsulatedPixelData; bytes: Uint8Array }> {
  const bytes = readSample(file);
  const { pixelData } = await scanPart10(chunked(bytes));
  if (pixelData?.kind !== 'encapsulated') throw new Error('expected encapsulated pixel data');
  return { layout: pixelData, bytes };
}

/** A layout of fragments with given lengths laid out after an empty BOT item. */
function layoutOf(
  lengths: number[],
  startBytes: (number | undefined)[] = [],
  basicOffsetTable: number[] = [],
): EncapsulatedPixelData {
  let at = 1000 + 8 + basicOffsetTable.length * 4;
  const fragments = lengths.map((length, i) => {
    const fragment = {
      offset: at + 8,
      length,
      ...(startBytes[i] === undefined ? {} : { startBytes: startBytes[i] }),
    };
    at += 8 + length;
    return fragment;
  });
  return {
    kind: 'encapsulated',
    tag: '7FE00010',
    offset: 1000,
    length: at + 8 - 1000,
    basicOffsetTable,
    fragments,
  };
}

describe('encapsulatedFrameRanges', () => {
  it.skipIf(!samplesAvailable)(
    'gives the 30 JPEG frames of the cine, each starting with SOI',
    async () => {
      const { layout, bytes } = await scanEncapsulated('mf-us-cine_jpeg-baseline_ybr422.dcm');
      const frames = encapsulatedFrameRanges(layout, 30);
      expect(frames).toHaveLength(30);
      for (const [first] of frames)
        expect([bytes[first?.offset ?? 0], bytes[(first?.offset ?? 0) + 1]]).toEqual([0xff, 0xd8]);
    },
  );

  it.skipIf(!samplesAvailable)(
    'gives one fragment per frame for the 15-frame RLE dose (RLE header: segment count)',
    async () => {
      const { layout, bytes } = await scanEncapsulated('ts-rle_RTDOSE_32bit_15frames.dcm');
      const frames = encapsulatedFrameRanges(layout, 15);
      for (const frame of frames) {
        expect(frame).toHaveLength(1);
        const offset = frame[0]?.offset ?? 0;
        expect(new DataView(bytes.buffer, bytes.byteOffset).getUint32(offset, true)).toBe(4); // 32-bit: 4 segments
      }
    },
  );

  it('uses the Basic Offset Table to group fragments', () => {
    const layout = layoutOf([10, 20, 30], [], [0, 8 + 10 + 8 + 20]);
    const frames = encapsulatedFrameRanges(layout, 2);
    expect(frames.map((f) => f.map((r) => r.length))).toEqual([[10, 20], [30]]);
  });

  it('prefers the Extended Offset Table', () => {
    const layout = {
      ...layoutOf([10, 20, 30], [], [0]),
      extendedOffsetTable: { offsets: [0, 18, 46], lengths: [10, 20, 30] },
    };
    expect(encapsulatedFrameRanges(layout, 3).map((f) => f.length)).toEqual([1, 1, 1]);
  });

  it('gives all fragments to a single frame', () => {
    expect(encapsulatedFrameRanges(layoutOf([10, 20, 30]), 1)[0]).toHaveLength(3);
  });

  it('splits multi-frame data without tables at codec start markers', () => {
    const layout = layoutOf([10, 20, 30, 5], [0xff4f, 0x1234, 0xff4f, 0x0000]);
    expect(encapsulatedFrameRanges(layout, 2).map((f) => f.length)).toEqual([2, 2]);
  });

  it('refuses what it cannot split', () => {
    expect(() =>
      encapsulatedFrameRanges(layoutOf([10, 20, 30], [0x0102, 0x0304, 0x0506]), 2),
    ).toThrow(FrameLayoutError);
    expect(() =>
      encapsulatedFrameRanges(layoutOf([10, 20, 30], [0xffd8, 0x0304, 0x0506]), 2),
    ).toThrow(/found 1 frames/);
    expect(() => encapsulatedFrameRanges(layoutOf([10, 20], [], [0, 7]), 2)).toThrow(
      /does not point at a fragment/,
    );
  });
});

describe('splitEncapsulatedFrames', () => {
  it('gives the frames pixel data cut short still holds, fewer than declared', () => {
    const markers = layoutOf([10, 20, 30], [0xffd8, 0x0304, 0xffd8]);
    expect(splitEncapsulatedFrames(markers, 5).map((f) => f.length)).toEqual([2, 1]);
    const table = layoutOf([10, 20], [], [0, 8 + 10]);
    expect(splitEncapsulatedFrames(table, 4)).toHaveLength(2);
  });

  it('gives no frame when a single-frame image has no fragment', () => {
    expect(splitEncapsulatedFrames(layoutOf([]), 1)).toEqual([]);
  });
});

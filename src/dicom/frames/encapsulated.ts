/**
 * Frames of encapsulated pixel data (PS3.5 §A.4): which fragments make up each frame.
 */
import { FrameLayoutError } from '../errors.js';
import type { EncapsulatedPixelData, Fragment } from '../part10/layout.js';

export interface ByteRange {
  offset: number;
  length: number;
}

/** Codec start markers that open a frame's first fragment (first two bytes, big-endian). */
const FRAME_START_MARKERS = new Set([
  0xffd8, // JPEG, JPEG-LS: SOI (ITU T.81 B.2.1, T.87)
  0xff4f, // JPEG 2000 / HTJ2K codestream: SOC (ITU T.800 A.4.1)
  0xff0a, // JPEG XL codestream signature (ISO/IEC 18181-1)
]);

/** Size of an item header (tag + length), PS3.5 §7.5. */
const ITEM_HEADER = 8;

/** Fragments split at `starts`: item offsets relative to the first fragment item (PS3.5 A.4 / C.7.6.3.1.8). */
function splitAtItemOffsets(
  fragments: Fragment[],
  starts: readonly number[],
  table: string,
): ByteRange[][] {
  const first = fragments[0];
  if (!first) throw new FrameLayoutError(`${table} present but there are no fragments`);
  const base = first.offset - ITEM_HEADER;
  const indexOf = new Map<number, number>();
  fragments.forEach((f, i) => indexOf.set(f.offset - ITEM_HEADER - base, i));
  const firstIndexes = starts.map((start, frame) => {
    const index = indexOf.get(start);
    if (index === undefined)
      throw new FrameLayoutError(`${table} entry ${frame} does not point at a fragment item`);
    return index;
  });
  return firstIndexes.map((from, frame) => {
    const to = firstIndexes[frame + 1] ?? fragments.length;
    if (to <= from)
      throw new FrameLayoutError(`${table} entries are not increasing at frame ${frame}`);
    return fragments.slice(from, to).map(({ offset, length }) => ({ offset, length }));
  });
}

/** Multi-frame without tables: a frame begins at each fragment that starts with a codec marker. */
function splitAtMarkers(fragments: Fragment[]): ByteRange[][] {
  const frames: ByteRange[][] = [];
  for (const { offset, length, startBytes } of fragments) {
    const current = frames[frames.length - 1];
    if (startBytes !== undefined && FRAME_START_MARKERS.has(startBytes))
      frames.push([{ offset, length }]);
    else if (current) current.push({ offset, length });
    else
      throw new FrameLayoutError('first fragment does not begin with a known codec start marker');
  }
  return frames;
}

/**
 * Fragments of each frame, in order: from the Extended Offset Table, else the Basic Offset
 * Table, else one fragment per frame when the counts match, else all fragments for a single
 * frame, else split where fragments begin with a codec start marker (JPEG, JPEG 2000, JPEG XL).
 *
 * @throws FrameLayoutError when the frames cannot be told apart or their count differs.
 */
export function encapsulatedFrameRanges(
  layout: EncapsulatedPixelData,
  numberOfFrames: number,
): ByteRange[][] {
  const frames = splitEncapsulatedFrames(layout, numberOfFrames);
  if (frames.length !== numberOfFrames) {
    throw new FrameLayoutError(
      `found ${frames.length} frames in the pixel data, expected ${numberOfFrames}`,
    );
  }
  return frames;
}

/**
 * The frames the fragments actually hold, told apart as in encapsulatedFrameRanges but without
 * requiring `numberOfFrames` of them: a file whose pixel data was cut short holds fewer frames
 * than it declares, and those it holds can still be read.
 *
 * @throws FrameLayoutError when the frames cannot be told apart.
 */
export function splitEncapsulatedFrames(
  layout: EncapsulatedPixelData,
  numberOfFrames: number,
): ByteRange[][] {
  const { fragments } = layout;
  if (layout.extendedOffsetTable && layout.extendedOffsetTable.offsets.length > 0) {
    return splitAtItemOffsets(
      fragments,
      layout.extendedOffsetTable.offsets,
      'Extended Offset Table',
    );
  }
  if (layout.basicOffsetTable.length > 0) {
    return splitAtItemOffsets(fragments, layout.basicOffsetTable, 'Basic Offset Table');
  }
  if (fragments.length === numberOfFrames) {
    return fragments.map(({ offset, length }) => [{ offset, length }]);
  }
  if (numberOfFrames === 1) {
    // No fragment at all: the one frame is not there.
    return fragments.length === 0
      ? []
      : [fragments.map(({ offset, length }) => ({ offset, length }))];
  }
  return splitAtMarkers(fragments);
}

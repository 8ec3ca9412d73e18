/**
 * A grayscale frame kept between renders (PS3.3 C.11, Figure C.11-1): the stored values of
 * every pixel (High Bit / Bits Stored applied, sign-extended, C.7.6.3.1.1) with what turns them
 * into display values — the Modality LUT (rescale), the dataset's VOI window, MONOCHROME1
 * inversion. A viewer dragging the window asks for the same frame with a new window each time:
 * with this kept, each request is one lookup table over [min, max] of the stored values and one
 * pass, with no read and no decode (services/retrieve-rendered.ts caches these).
 *
 * Frames of up to 16 bits allocated only: their stored values fit 16-bit arrays and the table
 * covers at most 65,536 values. Values live in a SharedArrayBuffer so the worker threads that
 * window and encode a kept frame read it without it being copied to them.
 */
import type { DicomJsonDataset } from '../dicom/json/dicom-json.js';
import type { DecodedFrame } from './decode.js';
import { samplesOf, storedValueOf } from './grayscale.js';
import { rescaleOf, type Rescale } from './modality-lut.js';
import { voiFunction, windowOf, windowOfRange, type VoiWindow } from './voi-lut.js';

export interface GrayFrame {
  width: number;
  height: number;
  /** Stored values, row by row; never written once built (shared with worker threads). */
  values: Int16Array | Uint16Array | Uint8Array;
  /** Smallest and largest stored value (0, 0 for a frame without pixels). */
  min: number;
  max: number;
  rescale: Rescale;
  /** The dataset's window (C.11.2.1.2), used when the request names none. */
  window: VoiWindow | undefined;
  /** MONOCHROME1: minimum is white (C.7.6.3.1.2). */
  invert: boolean;
}

/** Bytes a GrayFrame holds (the values; the rest is a few numbers). */
export function grayFrameBytes(frame: GrayFrame): number {
  return frame.values.byteLength + 256;
}

/**
 * The GrayFrame of a decoded MONOCHROME1/2 frame with one sample per pixel and at most 16 bits
 * allocated; undefined for anything else (colour, palette, 32-bit), which renders the long way.
 */
export function grayFrameOf(frame: DecodedFrame, dataset: DicomJsonDataset): GrayFrame | undefined {
  const { description } = frame;
  const photometric = description.photometricInterpretation;
  if (photometric !== 'MONOCHROME1' && photometric !== 'MONOCHROME2') return undefined;
  if (description.samplesPerPixel !== 1 || description.bitsAllocated > 16) return undefined;
  const samples = samplesOf(frame);
  const pixels = samples.length;
  const bits = description.bitsAllocated === 1 ? 1 : description.bitsStored;
  const signed = description.pixelRepresentation === 1 && description.bitsAllocated !== 1;
  const bytes = bits > 8 || signed ? 2 : 1;
  const shared = new SharedArrayBuffer(pixels * bytes);
  const values =
    bytes === 1
      ? new Uint8Array(shared)
      : signed
        ? new Int16Array(shared)
        : new Uint16Array(shared);
  // Raw word → stored value once per possible word (≤ 65,536), then one pass.
  const stored = storedValueOf(frame);
  const table = new Int32Array(
    2 ** (description.bitsAllocated === 1 ? 1 : description.bitsAllocated),
  );
  for (let r = 0; r < table.length; r++) table[r] = stored(r);
  let min = pixels === 0 ? 0 : Infinity;
  let max = pixels === 0 ? 0 : -Infinity;
  for (let i = 0; i < pixels; i++) {
    const v = table[samples[i] ?? 0] ?? 0;
    values[i] = v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return {
    width: description.columns,
    height: description.rows,
    values,
    min,
    max,
    rescale: rescaleOf(dataset),
    window: windowOf(dataset),
    invert: photometric === 'MONOCHROME1',
  };
}

/**
 * 8-bit display values (PS3.4 N.2: Modality LUT → VOI LUT → Presentation LUT) under `window`,
 * else the dataset's, else one spanning the frame's modality values.
 */
export function windowGray(frame: GrayFrame, window?: VoiWindow): Uint8Array {
  const { slope, intercept } = frame.rescale;
  const { min, max, values } = frame;
  let voiWindow = window ?? frame.window;
  if (!voiWindow) {
    const low = min * slope + intercept;
    const high = max * slope + intercept;
    voiWindow = windowOfRange(Math.min(low, high), Math.max(low, high));
  }
  const voi = voiFunction(voiWindow);
  // One entry per stored value the frame holds, not per possible one.
  const lut = new Uint8Array(max - min + 1);
  for (let v = min; v <= max; v++) {
    const y = Math.round(voi(v * slope + intercept));
    lut[v - min] = frame.invert ? 255 - y : y;
  }
  const out = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = lut[(values[i] as number) - min] as number;
  return out;
}

/**
 * The grayscale pipeline of PS3.3 C.11 (Figure C.11-1 / PS3.4 N.2): stored values → Modality
 * LUT (rescale) → VOI LUT (window) → Presentation LUT (MONOCHROME1 inverted, C.7.6.3.1.2) →
 * 8-bit display values. For Bits Stored ≤ 16 the whole chain is one lookup table over every
 * possible stored value, so a 512×512 frame costs one table build and one pass.
 */
import type { DecodedFrame } from './decode.js';
import type { Rescale } from './modality-lut.js';
import { voiFunction, windowOfRange, type VoiWindow } from './voi-lut.js';

/** Raw sample words of the frame (Bits Allocated 1, 8, 16 or 32), little-endian. */
export function samplesOf(frame: DecodedFrame): ArrayLike<number> {
  const { description, data } = frame;
  const pixels = description.rows * description.columns;
  switch (description.bitsAllocated) {
    case 1: {
      // PS3.5 §8.1.1: packed bits, least significant bit first.
      const out = new Uint8Array(pixels);
      for (let p = 0; p < pixels; p++) out[p] = ((data[p >> 3] ?? 0) >> (p & 7)) & 1;
      return out;
    }
    case 8:
      return data;
    case 16: {
      const words = aligned(data, pixels * 2, 2);
      return new Uint16Array(words.buffer, words.byteOffset, pixels);
    }
    default: {
      const words = aligned(data, pixels * 4, 4);
      return new Uint32Array(words.buffer, words.byteOffset, pixels);
    }
  }
}

/**
 * Typed-array views need an offset aligned to the word size: the bytes themselves when they are
 * (read only here, so a view, not a copy of a frame that may be 128 MB), else a copy.
 */
function aligned(data: Uint8Array, length: number, word: number): Uint8Array {
  if (data.byteOffset % word === 0 && data.byteLength >= length) return data;
  return data.slice(0, length);
}

/** Stored value of a raw word: High Bit / Bits Stored (C.7.6.3.1.1), sign-extended when signed. */
export function storedValueOf(frame: DecodedFrame): (raw: number) => number {
  const { bitsStored, highBit, pixelRepresentation, bitsAllocated } = frame.description;
  const bits = bitsAllocated === 1 ? 1 : bitsStored;
  const shift = Math.max(0, highBit + 1 - bits);
  const mask = bits >= 32 ? 0xffffffff : 2 ** bits - 1;
  const sign = 2 ** (bits - 1);
  return (raw) => {
    const v = bits >= 32 ? raw >>> shift : Math.floor(raw / 2 ** shift) % (mask + 1);
    return pixelRepresentation === 1 && v >= sign ? v - 2 * sign : v;
  };
}

export interface GrayscaleOptions {
  rescale: Rescale;
  /** From the request, else the dataset; undefined → the frame's min/max. */
  window: VoiWindow | undefined;
  /** MONOCHROME1: minimum is white (C.7.6.3.1.2). */
  invert: boolean;
}

/** 8-bit display values of a MONOCHROME1/2 frame. */
export function grayscaleToDisplay(frame: DecodedFrame, options: GrayscaleOptions): Uint8Array {
  const samples = samplesOf(frame);
  const stored = storedValueOf(frame);
  const { slope, intercept } = options.rescale;
  const bits = frame.description.bitsAllocated === 1 ? 1 : frame.description.bitsStored;
  const pixels = samples.length;
  const out = new Uint8Array(pixels);

  // Small stored ranges: precompute modality values of every raw index once.
  const useTable = bits <= 16 && frame.description.bitsAllocated <= 16;
  const rawRange = useTable
    ? 2 ** (frame.description.bitsAllocated === 1 ? 1 : frame.description.bitsAllocated)
    : 0;
  const modality = useTable ? new Float64Array(rawRange) : undefined;
  if (modality) for (let r = 0; r < rawRange; r++) modality[r] = stored(r) * slope + intercept;
  const valueAt = modality
    ? (i: number): number => modality[samples[i] ?? 0] ?? 0
    : (i: number): number => stored(samples[i] ?? 0) * slope + intercept;

  let window = options.window;
  if (!window) {
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0; i < pixels; i++) {
      const v = valueAt(i);
      if (v < min) min = v;
      if (v > max) max = v;
    }
    window = windowOfRange(min, max);
  }
  const voi = voiFunction(window);
  const display = (x: number): number => {
    const y = Math.round(voi(x));
    return options.invert ? 255 - y : y;
  };

  if (modality) {
    const lut = new Uint8Array(rawRange);
    for (let r = 0; r < rawRange; r++) lut[r] = display(modality[r] ?? 0);
    for (let i = 0; i < pixels; i++) out[i] = lut[samples[i] ?? 0] ?? 0;
  } else {
    for (let i = 0; i < pixels; i++) out[i] = display(valueAt(i));
  }
  return out;
}

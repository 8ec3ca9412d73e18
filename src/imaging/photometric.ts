/**
 * Colour photometric interpretations → 8-bit RGB (PS3.3 C.7.6.3.1.2), and PALETTE COLOR
 * lookup (C.7.6.3.1.5-6, C.7.9). Input is decoded native data: little-endian, interleaved.
 */
import { getElement, getNumber, type DicomJsonDataset } from '../dicom/json/dicom-json.js';
import type { DecodedFrame } from './decode.js';
import { NotAnImageError } from './errors.js';

const clamp8 = (v: number): number => (v < 0 ? 0 : v > 255 ? 255 : Math.round(v));

/** PS3.3 C.7.6.3.1.2 YBR_FULL: the JFIF (ITU-R BT.601 full range) YCbCr → RGB equations. */
function ybrToRgb(out: Uint8Array, at: number, y: number, cb: number, cr: number): void {
  out[at] = clamp8(y + 1.402 * (cr - 128));
  out[at + 1] = clamp8(y - 0.344136 * (cb - 128) - 0.714136 * (cr - 128));
  out[at + 2] = clamp8(y + 1.772 * (cb - 128));
}

/** 8-bit RGB of a decoded RGB / YBR_FULL / YBR_FULL_422 frame. */
export function colourToRgb(frame: DecodedFrame): Uint8Array {
  const { description, data } = frame;
  const pixels = description.rows * description.columns;
  const photometric = description.photometricInterpretation;
  if (description.bitsAllocated > 8) {
    if (photometric !== 'RGB')
      throw new NotAnImageError(`${photometric} with more than 8 bits cannot be rendered`);
    // PS3.3 C.7.6.3.1: keep the top 8 of Bits Stored.
    const shift = Math.max(0, description.bitsStored - 8);
    const words = new Uint16Array(pixels * 3);
    Buffer.from(data.buffer, data.byteOffset, words.byteLength).copy(Buffer.from(words.buffer));
    const out = new Uint8Array(pixels * 3);
    for (let i = 0; i < out.length; i++) out[i] = Math.min(255, (words[i] ?? 0) >> shift);
    return out;
  }
  switch (photometric) {
    case 'RGB':
      return data.subarray(0, pixels * 3);
    case 'YBR_FULL': {
      const out = new Uint8Array(pixels * 3);
      for (let i = 0; i < pixels * 3; i += 3)
        ybrToRgb(out, i, data[i] ?? 0, data[i + 1] ?? 0, data[i + 2] ?? 0);
      return out;
    }
    case 'YBR_FULL_422': {
      // C.7.6.3.1.2: native 4:2:2 stores Y1 Y2 Cb Cr for each horizontal pair of pixels.
      const out = new Uint8Array(pixels * 3);
      for (let p = 0, i = 0; p < pixels; p += 2, i += 4) {
        const cb = data[i + 2] ?? 0;
        const cr = data[i + 3] ?? 0;
        ybrToRgb(out, p * 3, data[i] ?? 0, cb, cr);
        if (p + 1 < pixels) ybrToRgb(out, (p + 1) * 3, data[i + 1] ?? 0, cb, cr);
      }
      return out;
    }
    default:
      throw new NotAnImageError(`photometric interpretation ${photometric} cannot be rendered`);
  }
}

/** One channel of a Palette Color LUT, C.7.6.3.1.5: descriptor (entries, first mapped, bits) and data. */
interface PaletteChannel {
  entries: number;
  firstMapped: number;
  /** Entries as 8-bit display values. */
  values: Uint8Array;
}

export interface Palette {
  red: PaletteChannel;
  green: PaletteChannel;
  blue: PaletteChannel;
}

/** Palette descriptor tags (0028,1101-1103) and data tags (0028,1201-1203), PS3.3 C.7.6.3. */
const CHANNELS = [
  ['00281101', '00281201'],
  ['00281102', '00281202'],
  ['00281103', '00281203'],
] as const;

/** Palette LUT data read from storage by the caller (stored as bulk data), little-endian, by tag. */
export type LutData = ReadonlyMap<string, Uint8Array>;

/** Palette Color LUT Data tags (0028,1201-1203): BulkDataURIs in the metadata when long. */
export const PALETTE_DATA_TAGS: readonly string[] = CHANNELS.map(([, dataTag]) => dataTag);

function lutBytes(dataset: DicomJsonDataset, dataTag: string, lutData: LutData): Uint8Array {
  const element = getElement(dataset, dataTag);
  if (element?.InlineBinary) return Buffer.from(element.InlineBinary, 'base64');
  const read = lutData.get(dataTag);
  if (element?.BulkDataURI && read) return read;
  throw new NotAnImageError(
    element?.BulkDataURI
      ? 'palette LUT data stored as bulk data was not read'
      : 'PALETTE COLOR image without (non-segmented) palette LUT data',
  );
}

function channelOf(
  dataset: DicomJsonDataset,
  descriptorTag: string,
  dataTag: string,
  lutData: LutData,
): PaletteChannel {
  // C.7.6.3.1.5: 0 entries means 65536; the first-mapped value is read as signed when the
  // pixel data is signed, but we only see it through the JSON number.
  const entries = getNumber(dataset, descriptorTag, 0) || 65536;
  const firstMapped = getNumber(dataset, descriptorTag, 1) ?? 0;
  const bits = getNumber(dataset, descriptorTag, 2) ?? 16;
  const bytes = lutBytes(dataset, dataTag, lutData);
  const values = new Uint8Array(entries);
  // C.7.6.3.1.6: entries are 16-bit words (OW) holding `bits`-bit values; 8-bit data packed
  // one entry per byte is tolerated when the length says so.
  const packed = bits === 8 && bytes.length === entries;
  for (let i = 0; i < entries; i++) {
    const v = packed ? (bytes[i] ?? 0) : (bytes[2 * i] ?? 0) | ((bytes[2 * i + 1] ?? 0) << 8);
    values[i] = bits === 8 ? v & 0xff : v >> 8;
  }
  return { entries, firstMapped, values };
}

/**
 * The palette of a PALETTE COLOR dataset; LUT data held as bulk data comes from `lutData`.
 * @throws NotAnImageError for segmented palettes (0028,1221-1223) or LUT data not given.
 */
export function paletteOf(dataset: DicomJsonDataset, lutData: LutData = new Map()): Palette {
  const [red, green, blue] = CHANNELS.map(([d, t]) => channelOf(dataset, d, t, lutData));
  return { red: red!, green: green!, blue: blue! };
}

function lookUp(channel: PaletteChannel, index: number): number {
  const i = index - channel.firstMapped;
  return channel.values[i < 0 ? 0 : i >= channel.entries ? channel.entries - 1 : i] ?? 0;
}

/** 8-bit RGB of a PALETTE COLOR frame (8- or 16-bit indexes). */
export function paletteToRgb(frame: DecodedFrame, palette: Palette): Uint8Array {
  const { description, data } = frame;
  const pixels = description.rows * description.columns;
  const wide = description.bitsAllocated > 8;
  const out = new Uint8Array(pixels * 3);
  for (let p = 0; p < pixels; p++) {
    const index = wide ? (data[2 * p] ?? 0) | ((data[2 * p + 1] ?? 0) << 8) : (data[p] ?? 0);
    out[3 * p] = lookUp(palette.red, index);
    out[3 * p + 1] = lookUp(palette.green, index);
    out[3 * p + 2] = lookUp(palette.blue, index);
  }
  return out;
}

/**
 * The Image Pixel Module attributes (PS3.3 C.7.6.3) that say how to read a frame's bytes.
 */
import { getNumber, getString, type DicomJsonDataset } from '../dicom/json/dicom-json.js';
import { NotAnImageError } from './errors.js';

export interface PixelDescription {
  rows: number;
  columns: number;
  samplesPerPixel: number;
  bitsAllocated: number;
  bitsStored: number;
  highBit: number;
  pixelRepresentation: 0 | 1;
  photometricInterpretation: string;
  planarConfiguration: 0 | 1;
  numberOfFrames: number;
}

/** PS3.3 C.7.6.3 Image Pixel Module and C.7.6.6 Multi-frame Module tags. */
export const PixelTags = {
  SamplesPerPixel: '00280002',
  PhotometricInterpretation: '00280004',
  PlanarConfiguration: '00280006',
  NumberOfFrames: '00280008',
  Rows: '00280010',
  Columns: '00280011',
  BitsAllocated: '00280100',
  BitsStored: '00280101',
  HighBit: '00280102',
  PixelRepresentation: '00280103',
  PixelData: '7FE00010',
  FloatPixelData: '7FE00008',
  DoubleFloatPixelData: '7FE00009',
} as const;

function required(dataset: DicomJsonDataset, tag: string, keyword: string): number {
  const value = getNumber(dataset, tag);
  if (value === undefined || !Number.isInteger(value) || value <= 0)
    throw new NotAnImageError(`not an image: ${keyword} (${tag}) is missing or not positive`);
  return value;
}

/**
 * The pixel description of an instance's DICOM JSON.
 *
 * @throws NotAnImageError when Pixel Data or a required Image Pixel attribute is absent
 *   (SR, PDF, float pixel data…) or the values are out of range.
 */
export function pixelDescriptionOf(dataset: DicomJsonDataset): PixelDescription {
  if (!(PixelTags.PixelData in dataset)) {
    // PS3.3 C.7.6.3: float samples (parametric maps) are real-world values with no stored
    // grayscale pipeline to render them through; say so rather than "no Pixel Data".
    if (PixelTags.FloatPixelData in dataset || PixelTags.DoubleFloatPixelData in dataset)
      throw new NotAnImageError(
        'floating point pixel data (Float Pixel Data / Double Float Pixel Data) cannot be rendered',
      );
    throw new NotAnImageError('not an image: no Pixel Data (7FE00010)');
  }
  const rows = required(dataset, PixelTags.Rows, 'Rows');
  const columns = required(dataset, PixelTags.Columns, 'Columns');
  const bitsAllocated = required(dataset, PixelTags.BitsAllocated, 'BitsAllocated');
  // PS3.3 C.7.6.3.1.1: Samples per Pixel is required; 1 is the only sensible default.
  const samplesPerPixel = getNumber(dataset, PixelTags.SamplesPerPixel) ?? 1;
  const bitsStored = getNumber(dataset, PixelTags.BitsStored) ?? bitsAllocated;
  const highBit = getNumber(dataset, PixelTags.HighBit) ?? bitsStored - 1;
  const numberOfFrames = getNumber(dataset, PixelTags.NumberOfFrames) ?? 1;
  if (![1, 8, 16, 32].includes(bitsAllocated))
    throw new NotAnImageError(`not a displayable image: Bits Allocated ${bitsAllocated}`);
  if (samplesPerPixel !== 1 && samplesPerPixel !== 3)
    throw new NotAnImageError(`not a displayable image: Samples per Pixel ${samplesPerPixel}`);
  if (bitsStored < 1 || bitsStored > bitsAllocated)
    throw new NotAnImageError(`Bits Stored ${bitsStored} out of range`);
  if (!Number.isInteger(numberOfFrames) || numberOfFrames < 1)
    throw new NotAnImageError('Number of Frames is not a positive integer');
  const photometric = getString(dataset, PixelTags.PhotometricInterpretation)?.trim();
  return {
    rows,
    columns,
    samplesPerPixel,
    bitsAllocated,
    bitsStored,
    highBit,
    pixelRepresentation: getNumber(dataset, PixelTags.PixelRepresentation) === 1 ? 1 : 0,
    photometricInterpretation:
      photometric && photometric !== ''
        ? photometric
        : samplesPerPixel === 3
          ? 'RGB'
          : 'MONOCHROME2',
    planarConfiguration:
      samplesPerPixel > 1 && getNumber(dataset, PixelTags.PlanarConfiguration) === 1 ? 1 : 0,
    numberOfFrames,
  };
}

/** Bytes one sample takes in decoded native data (1 for Bits Allocated 1 and 8). */
export function bytesPerSample(description: PixelDescription): number {
  return description.bitsAllocated <= 8 ? 1 : description.bitsAllocated / 8;
}

/**
 * Samples stored per pixel: PS3.3 C.7.6.3.1.2 — native YBR_FULL_422 keeps two samples per
 * pixel (Y Y Cb Cr per pair of pixels), not three.
 */
export function storedSamplesPerPixel(description: PixelDescription): number {
  const p = description.photometricInterpretation;
  const subsampled = p === 'YBR_FULL_422' || p === 'YBR_PARTIAL_422';
  return subsampled && description.samplesPerPixel === 3 ? 2 : description.samplesPerPixel;
}

/** Bytes of one decoded native frame (Bits Allocated 1: packed bits, rounded up). */
export function frameByteLength(description: PixelDescription): number {
  const pixels = description.rows * description.columns * storedSamplesPerPixel(description);
  if (description.bitsAllocated === 1) return Math.ceil(pixels / 8);
  return pixels * bytesPerSample(description);
}

/**
 * Frames of native (uncompressed) pixel data: frame n → byte range (PS3.5 §8.1.1, PS3.3 C.7.6.3).
 */
import { FrameLayoutError } from '../errors.js';
import type { NativePixelData } from '../part10/layout.js';

export interface NativeImageGeometry {
  rows: number;
  columns: number;
  samplesPerPixel: number;
  bitsAllocated: number;
  photometricInterpretation: string;
  numberOfFrames: number;
}

export interface NativeFrameRange {
  /** Absolute offset of the first byte holding the frame. */
  offset: number;
  length: number;
  /** For Bits Allocated 1: the frame starts at this bit (LSB first) of the first byte; else 0. */
  bitOffset: number;
  /** Bits of the frame (for Bits Allocated 1, the frame may share its first/last byte). */
  bitLength: number;
}

/**
 * Bits of one frame. PS3.3 C.7.6.3.1.2: YBR_FULL_422 / YBR_PARTIAL_422 native data keeps two
 * Cb/Cr samples per pair of pixels, i.e. 2 samples per pixel, not 3.
 */
export function nativeFrameBits(geometry: NativeImageGeometry): number {
  const { rows, columns, samplesPerPixel, bitsAllocated, photometricInterpretation } = geometry;
  const subsampled =
    photometricInterpretation === 'YBR_FULL_422' || photometricInterpretation === 'YBR_PARTIAL_422';
  const samples = subsampled && samplesPerPixel === 3 ? 2 : samplesPerPixel;
  return rows * columns * samples * bitsAllocated;
}

/**
 * Byte range of frame `frameIndex` (0-based). With Bits Allocated 1 frames are packed without
 * padding (PS3.5 §8.1.1), so a frame may begin mid-byte: `bitOffset` says where.
 *
 * @throws FrameLayoutError for an index out of range or pixel data too short for the frame.
 */
export function nativeFrameRange(
  layout: NativePixelData,
  frameIndex: number,
  geometry: NativeImageGeometry,
): NativeFrameRange {
  if (!Number.isInteger(frameIndex) || frameIndex < 0 || frameIndex >= geometry.numberOfFrames) {
    throw new FrameLayoutError(
      `frame ${frameIndex} out of range (${geometry.numberOfFrames} frames)`,
    );
  }
  const bits = nativeFrameBits(geometry);
  if (bits <= 0) throw new FrameLayoutError('image geometry gives an empty frame');
  const startBit = frameIndex * bits;
  const firstByte = Math.floor(startBit / 8);
  const endByte = Math.ceil((startBit + bits) / 8);
  if (endByte > layout.length) {
    throw new FrameLayoutError(
      `frame ${frameIndex} ends past the pixel data (${endByte} > ${layout.length} bytes)`,
    );
  }
  return {
    offset: layout.offset + firstByte,
    length: endByte - firstByte,
    bitOffset: startBit % 8,
    bitLength: bits,
  };
}

/**
 * RLE Lossless decoding, PS3.5 Annex G: a 64-byte header (segment count and up to 15 segment
 * offsets), then one PackBits segment per byte plane, most significant byte first, sample by
 * sample (G.2). Output is native little-endian, samples interleaved (planar 0).
 */
import { DecodeError } from './errors.js';

/** PS3.5 G.5: the RLE header is 16 unsigned 32-bit little-endian values. */
const HEADER_BYTES = 64;
const MAX_SEGMENTS = 15;

/** PS3.5 G.3.1: PackBits — n ≥ 0 copies n+1 literal bytes, −127…−1 repeats the next byte 1−n times, −128 is a no-op. */
function unpackSegment(src: Uint8Array, start: number, end: number, out: Uint8Array): void {
  let at = start;
  let written = 0;
  while (at < end && written < out.length) {
    const n = ((src[at++] ?? 0) << 24) >> 24;
    if (n >= 0) {
      const count = Math.min(n + 1, out.length - written, end - at);
      out.set(src.subarray(at, at + count), written);
      at += n + 1;
      written += count;
    } else if (n !== -128) {
      const count = Math.min(1 - n, out.length - written);
      out.fill(src[at++] ?? 0, written, written + count);
      written += count;
    }
  }
  if (written < out.length)
    throw new DecodeError(`RLE segment decodes to ${written} bytes, expected ${out.length}`);
}

/**
 * Decodes one RLE frame into `pixels × samples × bytesPerSample` bytes.
 *
 * @throws DecodeError when the header's segment count does not match the image or a
 *   segment is short.
 */
export function decodeRle(
  frame: Uint8Array,
  pixels: number,
  samples: number,
  bytesPerSample: number,
): Uint8Array {
  if (frame.length < HEADER_BYTES) throw new DecodeError('RLE frame shorter than its header');
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const count = view.getUint32(0, true);
  const expected = samples * bytesPerSample;
  if (count !== expected || count > MAX_SEGMENTS)
    throw new DecodeError(`RLE header has ${count} segments, the image needs ${expected}`);
  const out = new Uint8Array(pixels * expected);
  const plane = new Uint8Array(pixels);
  for (let segment = 0; segment < count; segment++) {
    const start = view.getUint32(4 + segment * 4, true);
    const end = segment + 1 < count ? view.getUint32(8 + segment * 4, true) : frame.length;
    if (start < HEADER_BYTES || end > frame.length || end < start)
      throw new DecodeError(`RLE segment ${segment} offset out of range`);
    unpackSegment(frame, start, end, plane);
    // PS3.5 G.2: segments run MSB first within each sample; native output is little-endian.
    const sample = Math.floor(segment / bytesPerSample);
    const byte = bytesPerSample - 1 - (segment % bytesPerSample);
    let at = sample * bytesPerSample + byte;
    for (let p = 0; p < pixels; p++, at += expected) out[at] = plane[p] ?? 0;
  }
  return out;
}

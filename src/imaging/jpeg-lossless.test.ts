import { describe, expect, it } from 'vitest';
import { decodeJpegLossless } from './jpeg-lossless.js';
import { encodeJpegLosslessSv1 } from './testing/jpeg-lossless-encoder.js';

const PIXELS = new Uint8Array([0, 255, 7, 128, 1, 254, 64, 200, 3]);

describe('decodeJpegLossless', () => {
  it('decodes a 3x3 codestream held in a small pooled Buffer to its exact pixels', () => {
    // Buffers under 4 KiB are views into Node's shared pool: the decoder must read the view.
    const frame = Buffer.from(encodeJpegLosslessSv1(PIXELS, 3, 3));
    expect(frame.byteOffset).toBeGreaterThan(0);
    const decoded = decodeJpegLossless(frame);
    expect(decoded.info).toEqual({ width: 3, height: 3, componentCount: 1, bitsPerSample: 8 });
    expect([...decoded.data]).toEqual([...PIXELS]);
  });
});

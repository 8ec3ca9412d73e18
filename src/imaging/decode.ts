/**
 * Frame decoding for every transfer syntax we can read: stored frame bytes → native
 * little-endian samples, interleaved (planar 0). Used by rendering and by WADO transcoding to
 * Explicit VR Little Endian.
 */
import { inflateRawSync } from 'node:zlib';
import { TransferSyntax } from '../dicom/uid.js';
import { UnsupportedTransferSyntaxError } from '../dicom/errors.js';
import { DecodeError } from './errors.js';
import {
  bytesPerSample,
  frameByteLength,
  storedSamplesPerPixel,
  type PixelDescription,
} from './pixel-description.js';
import { decodeRle } from './rle.js';
import { decodeJpegSequential } from './jpeg-extended.js';
import { decodeJpegLossless } from './jpeg-lossless.js';
import { decodeWithWasm, type WasmCodec, type WasmDecoded } from './wasm-decoders.js';

export interface DecodedFrame {
  /** The description after decoding: e.g. JPEG Baseline YBR_FULL_422 → RGB, planar 0. */
  description: PixelDescription;
  /** Native little-endian bytes, samples interleaved. */
  data: Uint8Array;
}

type Decoder = 'native' | 'big-endian' | 'deflated' | 'rle' | 'jpeg-lossless' | WasmCodec;

const TS = TransferSyntax;

/** Transfer syntax → how its frames are decoded (PS3.5 §8 native, §A.4 encapsulated). */
const DECODERS: ReadonlyMap<string, Decoder> = new Map<string, Decoder>([
  [TS.ImplicitVRLittleEndian, 'native'],
  [TS.ExplicitVRLittleEndian, 'native'],
  [TS.DeflatedExplicitVRLittleEndian, 'native'],
  // PS3.5 §A.4.11: each fragment of a frame holds native bytes.
  [TS.EncapsulatedUncompressedExplicitVRLittleEndian, 'native'],
  [TS.ExplicitVRBigEndian, 'big-endian'],
  // PS3.5 §A.4.13 (Deflated Image Frame Compression): each frame is raw deflate of native bytes.
  [TS.DeflatedImageFrameCompression, 'deflated'],
  [TS.RLELossless, 'rle'],
  [TS.JPEGBaseline8Bit, 'jpeg'],
  // Process 2 (8-bit) via libjpeg-turbo, Process 4 (12-bit) via jpeg-extended.ts.
  [TS.JPEGExtended12Bit, 'jpeg'],
  [TS.JPEGLossless, 'jpeg-lossless'],
  [TS.JPEGLosslessSV1, 'jpeg-lossless'],
  [TS.JPEGLSLossless, 'jpeg-ls'],
  [TS.JPEGLSNearLossless, 'jpeg-ls'],
  [TS.JPEG2000Lossless, 'j2k'],
  [TS.JPEG2000, 'j2k'],
  [TS.HTJ2KLossless, 'htj2k'],
  [TS.HTJ2KLosslessRPCL, 'htj2k'],
  [TS.HTJ2K, 'htj2k'],
]);

/** Every transfer syntax UID `decodeFrame` accepts. */
export function decodableTransferSyntaxes(): string[] {
  return [...DECODERS.keys()];
}

/** True when frames of this transfer syntax can be decoded to native pixels. */
export function canDecode(transferSyntaxUid: string): boolean {
  return DECODERS.has(transferSyntaxUid);
}

/**
 * @throws UnsupportedTransferSyntaxError naming the decodable syntaxes when `canDecode` is false.
 */
export function assertDecodable(transferSyntaxUid: string): void {
  if (!canDecode(transferSyntaxUid)) throw unsupportedSyntax();
}

function unsupportedSyntax(): UnsupportedTransferSyntaxError {
  return new UnsupportedTransferSyntaxError(
    `the pixel data is in a transfer syntax this server cannot decode; decodable: ${decodableTransferSyntaxes().join(', ')}`,
    decodableTransferSyntaxes(),
  );
}

/**
 * Decodes one frame (the stored bytes of frame n: a native range, or the concatenated
 * fragments of an encapsulated frame) into native little-endian interleaved samples.
 *
 * @throws UnsupportedTransferSyntaxError for a syntax we have no decoder for.
 * @throws DecodeError when the bytes do not decode to the described image.
 */
export async function decodeFrame(
  frame: Uint8Array,
  transferSyntaxUid: string,
  description: PixelDescription,
): Promise<DecodedFrame> {
  const decoder = DECODERS.get(transferSyntaxUid);
  switch (decoder) {
    case undefined:
      throw unsupportedSyntax();
    case 'native':
      return decodeNative(frame, description, false);
    case 'big-endian':
      return decodeNative(frame, description, true);
    case 'deflated':
      return decodeNative(inflate(frame), description, false);
    case 'rle':
      return decodeRleFrame(frame, description);
    case 'jpeg-lossless':
      return fromCodec(decodeJpegLossless(frame), description, 'jpeg-lossless');
    case 'jpeg':
      // 12-bit Process 4: our own sequential decoder (no colour transform: 'jpeg-lossless').
      if (jpegPrecision(frame) > 8)
        return fromCodec(decodeJpegSequential(frame), description, 'jpeg-lossless');
      return fromCodec(await decodeWithWasm(decoder, frame), description, decoder);
    case 'jpeg-ls':
    case 'j2k':
    case 'htj2k':
      return fromCodec(await decodeWithWasm(decoder, frame), description, decoder);
  }
}

function inflate(frame: Uint8Array): Uint8Array {
  try {
    return new Uint8Array(inflateRawSync(frame));
  } catch (error) {
    throw new DecodeError('deflated frame does not inflate', { cause: error });
  }
}

/** PS3.5 §8.1.1 (native): trim padding, swap big-endian words, interleave planar data. */
function decodeNative(
  frame: Uint8Array,
  description: PixelDescription,
  bigEndian: boolean,
): DecodedFrame {
  const length = frameByteLength(description);
  if (frame.length < length)
    throw new DecodeError(`native frame has ${frame.length} bytes, expected ${length}`);
  let data = frame.subarray(0, length);
  const bytes = bytesPerSample(description);
  if (bigEndian && bytes > 1) data = swapBytes(data, bytes);
  if (description.planarConfiguration === 1 && storedSamplesPerPixel(description) === 3) {
    data = interleave(data, description.rows * description.columns, 3, bytes);
    return { description: { ...description, planarConfiguration: 0 }, data };
  }
  return { description, data };
}

function swapBytes(data: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(data.length);
  for (let i = 0; i + size <= data.length; i += size)
    for (let k = 0; k < size; k++) out[i + k] = data[i + size - 1 - k] ?? 0;
  return out;
}

/** Planar (RRR…GGG…BBB…) → interleaved (RGBRGB…), PS3.3 C.7.6.3.1.3. */
export function interleave(
  data: Uint8Array,
  pixels: number,
  samples: number,
  bytes: number,
): Uint8Array {
  const out = new Uint8Array(pixels * samples * bytes);
  for (let s = 0; s < samples; s++) {
    const plane = s * pixels * bytes;
    for (let p = 0; p < pixels; p++) {
      const to = (p * samples + s) * bytes;
      const from = plane + p * bytes;
      for (let k = 0; k < bytes; k++) out[to + k] = data[from + k] ?? 0;
    }
  }
  return out;
}

function decodeRleFrame(frame: Uint8Array, description: PixelDescription): DecodedFrame {
  const pixels = description.rows * description.columns;
  const data = decodeRle(frame, pixels, description.samplesPerPixel, bytesPerSample(description));
  // PS3.5 G.2: segments are per sample, so the decoded data is interleaved by us, planar 0.
  return { description: { ...description, planarConfiguration: 0 }, data };
}

/** ITU T.81 B.2.2: sample precision P of the first SOFn; 12 (Process 4) is beyond the 8-bit libjpeg-turbo build. */
function jpegPrecision(frame: Uint8Array): number {
  for (let i = 2; i + 4 < frame.length;) {
    if (frame[i] !== 0xff) return 8;
    const marker = frame[i + 1] ?? 0;
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc)
      return frame[i + 4] ?? 8;
    i += 2 + (((frame[i + 2] ?? 0) << 8) | (frame[i + 3] ?? 0));
  }
  return 8;
}

/** Colour transforms the codecs undo themselves (PS3.5 §8.2.1, §8.2.4, §A.4.4). */
function photometricAfter(photometric: string, codec: Decoder, components: number): string {
  if (components !== 3) return photometric;
  if (codec === 'jpeg' && (photometric === 'YBR_FULL' || photometric === 'YBR_FULL_422'))
    return 'RGB'; // libjpeg converts YCbCr to RGB on output
  if (
    (codec === 'j2k' || codec === 'htj2k') &&
    (photometric === 'YBR_RCT' || photometric === 'YBR_ICT')
  )
    return 'RGB'; // the JPEG 2000 multi-component transform is inverted by the decoder
  return photometric;
}

function fromCodec(
  decoded: WasmDecoded,
  description: PixelDescription,
  codec: Decoder,
): DecodedFrame {
  const { width, height, componentCount, bitsPerSample } = decoded.info;
  if (width !== description.columns || height !== description.rows)
    throw new DecodeError(
      `decoded ${width}x${height} pixels, header says ${description.columns}x${description.rows}`,
    );
  const bytes = bitsPerSample > 8 ? 2 : 1;
  const pixels = width * height;
  let data = decoded.data;
  if (data.length < pixels * componentCount * bytes)
    throw new DecodeError(
      `codec returned ${data.length} bytes, expected ${pixels * componentCount * bytes}`,
    );
  data = data.subarray(0, pixels * componentCount * bytes);
  if (componentCount > 1 && decoded.interleaveMode === 0)
    data = interleave(data, pixels, componentCount, bytes);
  const bitsAllocated = bytes * 8;
  return {
    description: {
      ...description,
      samplesPerPixel: componentCount,
      bitsAllocated,
      bitsStored: Math.min(description.bitsStored, bitsAllocated),
      highBit: Math.min(description.highBit, bitsAllocated - 1),
      photometricInterpretation: photometricAfter(
        description.photometricInterpretation,
        codec,
        componentCount,
      ),
      planarConfiguration: 0,
    },
    data,
  };
}

/**
 * JPEG Lossless, Process 14 (ITU T.81 Annex H; PS3.5 §A.4.1 syntaxes .57 and .70), decoded
 * with jpeg-lossless-decoder-js (pure JavaScript; the WASM libjpeg-turbo build has no
 * lossless support).
 */
import { Decoder } from 'jpeg-lossless-decoder-js';
import { DecodeError } from './errors.js';
import type { WasmDecoded } from './wasm-decoders.js';

export function decodeJpegLossless(frame: Uint8Array): WasmDecoded {
  try {
    const decoder = new Decoder();
    // The decoder reads an ArrayBuffer: pass the view's own window of it. A small Buffer is a
    // view into Node's shared 8 KiB pool (and Buffer#slice does not copy), so `.buffer` alone
    // starts at someone else's bytes.
    const samples = decoder.decode(frame.buffer as ArrayBuffer, frame.byteOffset, frame.byteLength);
    const bytes = samples instanceof Uint16Array ? 2 : 1;
    // Uint16Array holds host-order samples: little-endian on every platform Node supports.
    const data = new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength);
    return {
      info: {
        width: decoder.xDim,
        height: decoder.yDim,
        componentCount: decoder.numComp,
        bitsPerSample: bytes * 8,
      },
      data,
    };
  } catch (error) {
    throw new DecodeError('JPEG Lossless codestream could not be decoded', { cause: error });
  }
}

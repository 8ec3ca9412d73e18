/**
 * The WASM codecs (@cornerstonejs packages, as used by cornerstone3D's dicom-image-loader),
 * each loaded lazily on first use and reused: instantiating a module costs ~10-30 ms, a
 * decoder object is cheap. Decoding is synchronous inside WASM.
 */
import type {
  WasmDecoder,
  WasmDecoderClass,
  WasmFrameInfo,
} from '@cornerstonejs/wasm-codec-common';
import { DecodeError } from './errors.js';

export type WasmCodec = 'jpeg' | 'jpeg-ls' | 'j2k' | 'htj2k';

export interface WasmDecoded {
  info: WasmFrameInfo;
  /** Copied out of WASM memory; samples interleaved unless `interleaveMode` is 0 with >1 component. */
  data: Uint8Array;
  /** JPEG-LS only (ITU T.87 §C.2.3): 0 none (planar), 1 line, 2 sample. */
  interleaveMode?: number;
}

/**
 * Emscripten module options: openjpeg prints [INFO] lines to stdout, which must not reach
 * our logs. A fresh object per module: Emscripten uses it AS the module and registers the
 * embind symbols on it, so sharing one between codecs makes the second load fail.
 */
const quiet = (): { print: () => void; printErr: () => void } => ({
  print: () => undefined,
  printErr: () => undefined,
});

const loaders: Record<WasmCodec, () => Promise<WasmDecoderClass>> = {
  jpeg: async () =>
    (await import('@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasmjs'))
      .default(quiet())
      .then((m) => m.JPEGDecoder),
  'jpeg-ls': async () =>
    (await import('@cornerstonejs/codec-charls/decodewasmjs'))
      .default(quiet())
      .then((m) => m.JpegLSDecoder),
  j2k: async () =>
    (await import('@cornerstonejs/codec-openjpeg/decodewasmjs'))
      .default(quiet())
      .then((m) => m.J2KDecoder),
  htj2k: async () =>
    (await import('@cornerstonejs/codec-openjph/wasmjs'))
      .default(quiet())
      .then((m) => m.HTJ2KDecoder),
};

const loaded = new Map<WasmCodec, Promise<WasmDecoderClass>>();

function decoderClass(codec: WasmCodec): Promise<WasmDecoderClass> {
  let pending = loaded.get(codec);
  if (!pending) {
    pending = loaders[codec]();
    // A failed load is not cached, so a transient failure does not disable the codec for good.
    pending.catch(() => loaded.delete(codec));
    loaded.set(codec, pending);
  }
  return pending;
}

/** Decodes one codestream with the named WASM codec. @throws DecodeError when the codec refuses it. */
export async function decodeWithWasm(
  codec: WasmCodec,
  codestream: Uint8Array,
): Promise<WasmDecoded> {
  const Decoder = await decoderClass(codec);
  let decoder: WasmDecoder | undefined;
  try {
    decoder = new Decoder();
    decoder.getEncodedBuffer(codestream.length).set(codestream);
    decoder.decode();
    const info = decoder.getFrameInfo();
    // Copy out of WASM memory (reused by the next decode) into a plain Uint8Array: some builds
    // hand back a Uint8ClampedArray view, which Buffer.concat and stream writers refuse.
    const view = decoder.getDecodedBuffer();
    const data = new Uint8Array(view.length);
    data.set(view);
    const decoded: WasmDecoded = { info: { ...info }, data };
    if (codec === 'jpeg-ls' && decoder.getInterleaveMode)
      decoded.interleaveMode = decoder.getInterleaveMode();
    return decoded;
  } catch (error) {
    throw new DecodeError(`${codec} codec could not decode the frame`, { cause: error });
  } finally {
    decoder?.delete();
  }
}

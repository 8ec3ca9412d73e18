/**
 * The slice of the @cornerstonejs WASM codec packages (no bundled typings) that imaging/
 * uses. Each default export is an Emscripten module factory; every decoder class shares the
 * same shape: copy the codestream into getEncodedBuffer(n), decode(), read getFrameInfo()
 * and getDecodedBuffer() (a view into WASM memory), then delete().
 */
declare module '@cornerstonejs/wasm-codec-common' {
  export interface WasmFrameInfo {
    width: number;
    height: number;
    bitsPerSample: number;
    componentCount: number;
    isSigned?: boolean;
  }
  export interface WasmDecoder {
    getEncodedBuffer(length: number): Uint8Array;
    getDecodedBuffer(): Uint8Array;
    decode(): void;
    getFrameInfo(): WasmFrameInfo;
    getInterleaveMode?(): number;
    delete(): void;
  }
  export type WasmDecoderClass = new () => WasmDecoder;
  export interface EmscriptenOptions {
    print?: (text: string) => void;
    printErr?: (text: string) => void;
  }
}

declare module '@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasmjs' {
  import type { EmscriptenOptions, WasmDecoderClass } from '@cornerstonejs/wasm-codec-common';
  const factory: (options?: EmscriptenOptions) => Promise<{ JPEGDecoder: WasmDecoderClass }>;
  export default factory;
}

declare module '@cornerstonejs/codec-charls/decodewasmjs' {
  import type { EmscriptenOptions, WasmDecoderClass } from '@cornerstonejs/wasm-codec-common';
  const factory: (options?: EmscriptenOptions) => Promise<{ JpegLSDecoder: WasmDecoderClass }>;
  export default factory;
}

declare module '@cornerstonejs/codec-openjpeg/decodewasmjs' {
  import type { EmscriptenOptions, WasmDecoderClass } from '@cornerstonejs/wasm-codec-common';
  const factory: (options?: EmscriptenOptions) => Promise<{ J2KDecoder: WasmDecoderClass }>;
  export default factory;
}

declare module '@cornerstonejs/codec-openjph/wasmjs' {
  import type { EmscriptenOptions, WasmDecoderClass } from '@cornerstonejs/wasm-codec-common';
  const factory: (options?: EmscriptenOptions) => Promise<{ HTJ2KDecoder: WasmDecoderClass }>;
  export default factory;
}

declare module 'jpeg-lossless-decoder-js' {
  /** ITU T.81 Annex H lossless (Process 14) decoder; output is 8- or 16-bit samples, interleaved. */
  export class Decoder {
    decode(buffer: ArrayBuffer, offset?: number, length?: number): Uint8Array | Uint16Array;
    numComp: number;
    numBytes: number;
    xDim: number;
    yDim: number;
  }
}

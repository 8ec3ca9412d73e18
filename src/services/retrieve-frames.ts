/**
 * WADO-RS Retrieve Frames (PS3.18 10.4.1.1.4): one frame at a time, as stored (FrameSource) or
 * decoded to native little-endian samples (imaging/decode) when Explicit VR LE is asked of
 * encapsulated pixel data.
 */
import { canDecode } from '../imaging/decode.js';
import type { ImagingPool } from '../imaging/imaging-pool.js';
import { pixelDescriptionOf, type PixelDescription } from '../imaging/pixel-description.js';
import { assertRenderableSize } from '../imaging/render.js';
import type { FrameSource, FrameStream } from './frame-source.js';
import type { InstanceLookup } from './instance-lookup.js';
import type { StoredInstance } from './stored-instance.js';

export interface RetrieveFramesDeps {
  lookup: InstanceLookup;
  frames: FrameSource;
  /** Decoding runs on its worker threads, within its concurrency bound. */
  imaging: ImagingPool;
}

export class RetrieveFrames {
  constructor(private readonly deps: RetrieveFramesDeps) {}

  /** True when frames of this syntax can be decoded to native pixels. */
  canDecode(transferSyntaxUid: string): boolean {
    return canDecode(transferSyntaxUid);
  }

  /**
   * A reader of frame n (1-based); `decode` turns encapsulated frames into native bytes. Native
   * frames that are a plain byte range come as a stream from storage (bounded memory); the
   * others (encapsulated, decoded, deflated, 1-bit) as bytes in memory.
   */
  reader(
    instance: StoredInstance,
    decode: boolean,
    signal?: AbortSignal,
  ): (n: number) => Promise<Uint8Array | FrameStream> {
    let description: PixelDescription | undefined;
    let reads = 0;
    const { frames, imaging } = this.deps;
    return async (n) => {
      // The first frame is read before the status line; later ones continue a response under
      // way, so they wait for a decode slot rather than being refused (which would cut it).
      const admitted = reads++ > 0;
      if (!decode) {
        const streamed = await frames.openFrame(instance, n, signal);
        if (streamed) return streamed;
        const [bytes] = await frames.readFrames(instance, [n], signal);
        return bytes ?? new Uint8Array(0);
      }
      if (!description) {
        description = pixelDescriptionOf(instance.metadata);
        // One decoded frame is held in memory per slot: the rendering bound keeps that bounded.
        assertRenderableSize(description);
      }
      const described = description;
      // The slot spans the read too, so queued requests hold no frame bytes.
      return imaging.use(
        async (worker) => {
          const [bytes] = await frames.readFrames(instance, [n], signal);
          const decoded = await worker.decode(
            bytes ?? new Uint8Array(0),
            instance.transferSyntaxUid,
            described,
          );
          return asBytes(decoded.data);
        },
        signal,
        { admitted },
      );
    };
  }
}

/**
 * Decoded data as a plain Uint8Array view: WASM codecs may hand back a Uint8ClampedArray, which
 * Buffer.concat and stream writers refuse.
 */
export function asBytes(data: Uint8Array): Uint8Array {
  return data instanceof Uint8Array && data.constructor === Uint8Array
    ? data
    : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

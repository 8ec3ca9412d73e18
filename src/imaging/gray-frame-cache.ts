/**
 * Grayscale frames kept between renders (gray-frame.ts), least recently used evicted first,
 * bounded by the bytes of their stored values (RENDER_FRAME_CACHE_BYTES). Keys are built by the
 * caller from the stored object's content hash and version and the frame number
 * (services/retrieve-rendered.ts), so a replaced instance never serves the old pixels.
 */
import { ByteLru } from '../lib/byte-lru.js';
import { grayFrameBytes, type GrayFrame } from './gray-frame.js';

/** 128 frames of a 512² 16-bit CT (512 KiB each), or 8 of a 4096×4096 mammogram. */
export const DEFAULT_FRAME_CACHE_BYTES = 64 * 1024 ** 2;

export class GrayFrameCache extends ByteLru<GrayFrame> {
  constructor(/** Total bytes kept; 0 disables the cache. */ maxBytes: number) {
    super(maxBytes, grayFrameBytes);
  }
}

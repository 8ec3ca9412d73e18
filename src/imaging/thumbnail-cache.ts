/**
 * A bounded in-memory cache of rendered images (thumbnails and full renders), least recently
 * used evicted first, sized by bytes. Keys are built by the caller from the stored object's
 * content hash and version (see services/retrieve-rendered.ts), so a replaced instance never
 * hits a stale entry: its new bytes have a new key, and the old entry simply ages out.
 */
import { ByteLru } from '../lib/byte-lru.js';

export interface CachedImage {
  body: Buffer;
  mediaType: string;
}

export class ThumbnailCache extends ByteLru<CachedImage> {
  constructor(/** Total body bytes kept; 0 disables the cache. */ maxBytes: number) {
    super(maxBytes, (image) => image.body.length);
  }
}

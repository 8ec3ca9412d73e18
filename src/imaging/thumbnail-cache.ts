/**
 * A bounded in-memory cache of rendered thumbnails, least recently used evicted first, sized
 * by bytes. Keys are built by the caller from the stored object's content hash and version
 * (see services/retrieve-rendered.ts), so a replaced instance never hits a stale entry: its
 * new bytes have a new key, and the old entry simply ages out.
 */

export interface CachedImage {
  body: Buffer;
  mediaType: string;
}

export class ThumbnailCache {
  /** Map iteration order is insertion order: re-inserting on a hit makes it an LRU. */
  private readonly entries = new Map<string, CachedImage>();
  private bytes = 0;

  constructor(
    /** Total body bytes kept; 0 disables the cache. */
    readonly maxBytes: number,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  get totalBytes(): number {
    return this.bytes;
  }

  get(key: string): CachedImage | undefined {
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
    }
    return hit;
  }

  set(key: string, image: CachedImage): void {
    // An entry larger than the whole budget is not worth evicting everything else for.
    if (image.body.length > this.maxBytes) return;
    this.delete(key);
    this.entries.set(key, image);
    this.bytes += image.body.length;
    for (const [oldest, entry] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(oldest);
      this.bytes -= entry.body.length;
    }
  }

  delete(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.bytes -= entry.body.length;
  }
}

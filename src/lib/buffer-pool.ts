/**
 * Read buffers used again instead of allocated per read. A fresh 256 KiB Buffer per file read
 * is memory outside the V8 heap, and V8 answers every ~64 MB of such growth with a full
 * mark-compact (bench/RESULTS.md, "WADO retrieve without copies"): a server streaming a few
 * hundred MB/s spent a quarter of its time in the collector.
 *
 * A buffer comes back only through `give`, called by the one consumer that knows nobody holds
 * the bytes any more (the HTTP writer, once the socket has taken them). Buffers never given back
 * are ordinary garbage, so a consumer that keeps or slices chunks needs to know nothing of this.
 */
export class BufferPool {
  readonly #free: Buffer[] = [];
  /** Buffers handed out and not yet given back: a second `give` of one is ignored. */
  readonly #lent = new WeakSet<ArrayBufferLike>();
  readonly #maxFree: number;

  /**
   * @param size bytes of each buffer
   * @param maxFreeBytes at most this much is kept idle between uses (the rest is dropped)
   */
  constructor(
    readonly size: number,
    maxFreeBytes: number,
  ) {
    this.#maxFree = Math.floor(maxFreeBytes / size);
  }

  /** A buffer of `size` bytes, contents undefined; give it back once nothing reads it. */
  take(): Buffer {
    // allocUnsafeSlow: a buffer of its own, never a slice of Node's shared 8 KiB pool.
    const buffer = this.#free.pop() ?? Buffer.allocUnsafeSlow(this.size);
    this.#lent.add(buffer.buffer);
    return buffer;
  }

  /**
   * Returns the buffer under `chunk` (a view of any part of one taken from here) to the pool.
   * Views of other memory, and buffers already given back, are ignored.
   */
  give(chunk: Uint8Array): void {
    const memory = chunk.buffer;
    if (!(memory instanceof ArrayBuffer) || !this.#lent.has(memory)) return;
    this.#lent.delete(memory);
    if (this.#free.length < this.#maxFree) this.#free.push(Buffer.from(memory, 0, this.size));
  }

  /** Idle buffers (for tests and metrics). */
  get idle(): number {
    return this.#free.length;
  }
}

/**
 * Set on a Readable whose chunks are lent from a pool: its final consumer may give each chunk
 * back once done with it. Streams built on top of such a stream do not carry it (their chunks
 * may be views the inner stream's consumer still parses), so only the stream itself is trusted.
 */
export const CHUNK_LENDER = Symbol.for('strata.chunkLender');

export interface ChunkLender {
  [CHUNK_LENDER]?: BufferPool;
}

/** The pool a stream's chunks come from, when it lends them. */
export function lenderOf(stream: object): BufferPool | undefined {
  return (stream as ChunkLender)[CHUNK_LENDER];
}

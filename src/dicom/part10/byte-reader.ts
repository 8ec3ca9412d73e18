/**
 * A pull reader over an `AsyncIterable<Uint8Array>`: awaits only when the buffered bytes are
 * short, reads synchronously otherwise, and skips values without buffering them.
 *
 * Usage: `if (r.available < n && !(await r.ensure(n))) …truncated…; r.uint32(…)`.
 */
export class ByteReader {
  private readonly iterator: AsyncIterator<Uint8Array>;
  private buffer: Uint8Array = new Uint8Array(0);
  private view: DataView = new DataView(this.buffer.buffer);
  /** Read position inside `buffer`. */
  private cursor = 0;
  /** Absolute position of buffer[0]. */
  private bufferStart: number;
  private done = false;

  /** `start` is the absolute position of the first byte of `source` (0 for a file). */
  constructor(source: AsyncIterable<Uint8Array>, start = 0) {
    this.iterator = source[Symbol.asyncIterator]();
    this.bufferStart = start;
  }

  /** Absolute position of the next byte to read. */
  get position(): number {
    return this.bufferStart + this.cursor;
  }

  /** Bytes buffered and readable synchronously. */
  get available(): number {
    return this.buffer.length - this.cursor;
  }

  /** Pulls the next non-empty chunk, or returns undefined at the end of the stream. */
  private async pull(): Promise<Uint8Array | undefined> {
    while (!this.done) {
      const next = await this.iterator.next();
      if (next.done) {
        this.done = true;
        return undefined;
      }
      const chunk = next.value;
      if (chunk.length > 0) return chunk;
    }
    return undefined;
  }

  private setBuffer(buffer: Uint8Array, absoluteStart: number): void {
    this.buffer = buffer;
    this.view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    this.bufferStart = absoluteStart;
    this.cursor = 0;
  }

  /**
   * Makes at least `n` bytes available; false when the stream ends first (the bytes that did
   * arrive stay buffered). A chunk that covers the need is used as is; otherwise the short
   * tail and the next chunks are gathered into one buffer sized for `n`, so tiny chunks cost
   * O(n) copying, not O(n²).
   */
  async ensure(n: number): Promise<boolean> {
    if (this.available >= n) return true;
    const first = await this.pull();
    if (!first) return false;
    const rest = this.available;
    if (rest === 0 && first.length >= n) {
      this.setBuffer(first, this.position);
      return true;
    }
    let target = new Uint8Array(Math.max(n, rest + first.length));
    target.set(this.buffer.subarray(this.cursor));
    target.set(first, rest);
    let filled = rest + first.length;
    const start = this.position;
    let complete = true;
    while (filled < n) {
      const chunk = await this.pull();
      if (!chunk) {
        complete = false;
        break;
      }
      if (filled + chunk.length > target.length) {
        const grown = new Uint8Array(filled + chunk.length);
        grown.set(target.subarray(0, filled));
        target = grown;
      }
      target.set(chunk, filled);
      filled += chunk.length;
    }
    this.setBuffer(target.subarray(0, filled), start);
    return complete;
  }

  /** True when no byte is left (awaits only if nothing is buffered). */
  async atEnd(): Promise<boolean> {
    return this.available === 0 && !(await this.ensure(1));
  }

  uint8(): number {
    const v = this.view.getUint8(this.cursor);
    this.cursor += 1;
    return v;
  }

  uint16(littleEndian: boolean): number {
    const v = this.view.getUint16(this.cursor, littleEndian);
    this.cursor += 2;
    return v;
  }

  uint32(littleEndian: boolean): number {
    const v = this.view.getUint32(this.cursor, littleEndian);
    this.cursor += 4;
    return v;
  }

  /** Looks at a byte `ahead` of the cursor without consuming (must be available). */
  peekUint8(ahead: number): number {
    return this.view.getUint8(this.cursor + ahead);
  }

  peekUint16(ahead: number, littleEndian: boolean): number {
    return this.view.getUint16(this.cursor + ahead, littleEndian);
  }

  peekUint32(ahead: number, littleEndian: boolean): number {
    return this.view.getUint32(this.cursor + ahead, littleEndian);
  }

  /** Returns the next `n` available bytes as a view into the buffer (valid until the next ensure). */
  readView(n: number): Uint8Array {
    const bytes = this.buffer.subarray(this.cursor, this.cursor + n);
    this.cursor += n;
    return bytes;
  }

  /** Consumes `n` available bytes, returning a copy the caller may keep. */
  take(n: number): Uint8Array {
    return this.readView(n).slice();
  }

  /**
   * Discards `n` bytes chunk by chunk without buffering them. Returns the number actually
   * skipped (less than `n` when the stream ends first).
   */
  async skip(n: number): Promise<number> {
    if (n <= this.available) {
      this.cursor += n;
      return n;
    }
    let skipped = this.available;
    this.cursor = this.buffer.length;
    while (skipped < n) {
      const chunk = await this.pull();
      if (!chunk) {
        this.setBuffer(new Uint8Array(0), this.position);
        return skipped;
      }
      const start = this.position;
      const want = n - skipped;
      if (chunk.length <= want) {
        skipped += chunk.length;
        this.setBuffer(new Uint8Array(0), start + chunk.length);
      } else {
        this.setBuffer(chunk, start);
        this.cursor = want;
        skipped = n;
      }
    }
    return skipped;
  }

  /**
   * The unread rest of the stream: the buffered bytes, then the remaining chunks. `position`
   * keeps counting as they are consumed.
   */
  async *rest(): AsyncGenerator<Uint8Array> {
    if (this.available > 0) {
      const bytes = this.buffer.subarray(this.cursor);
      this.cursor = this.buffer.length;
      yield bytes;
    }
    for (;;) {
      const chunk = await this.pull();
      if (!chunk) return;
      this.setBuffer(new Uint8Array(0), this.position + chunk.length);
      yield chunk;
    }
  }
}

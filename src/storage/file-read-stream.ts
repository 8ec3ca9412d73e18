import type { FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { CHUNK_LENDER, type BufferPool, type ChunkLender } from '../lib/buffer-pool.js';
import { fsFailure } from './fs-errors.js';

/**
 * Bytes [start, end) of an open file, read into buffers lent by `pool` (lib/buffer-pool.ts) and
 * pushed as views of them: the stream's final consumer may give each chunk back once written.
 * Unlike fs.ReadStream, which allocates a fresh buffer per read, and reads once more past the
 * end to see the end of file (the caller knows the size from its fstat). The handle is closed
 * however the stream ends. A file shorter than `end` ends the stream early, as fs.ReadStream
 * would; callers that need every byte check the length (services/retrieve-bytes.ts does).
 */
export class FileReadStream extends Readable implements ChunkLender {
  readonly [CHUNK_LENDER]: BufferPool;
  readonly #handle: FileHandle;
  readonly #end: number;
  readonly #what: string;
  #position: number;

  constructor(
    handle: FileHandle,
    bounds: { start: number; end: number; what: string },
    pool: BufferPool,
  ) {
    // One chunk read ahead of the consumer: a read overlaps the write of the previous chunk.
    super({ highWaterMark: pool.size });
    this[CHUNK_LENDER] = pool;
    this.#handle = handle;
    this.#position = bounds.start;
    this.#end = bounds.end;
    this.#what = bounds.what;
  }

  override _read(): void {
    const wanted = this.#end - this.#position;
    if (wanted <= 0) {
      this.push(null);
      return;
    }
    const pool = this[CHUNK_LENDER];
    // A small read (a short file, a frame range, the tail) does not take a whole pool buffer:
    // a consumer that never gives chunks back would make each one a large allocation.
    const buffer = wanted < pool.size / 4 ? Buffer.allocUnsafe(wanted) : pool.take();
    this.#handle.read(buffer, 0, Math.min(wanted, buffer.length), this.#position).then(
      ({ bytesRead }) => {
        if (this.destroyed || bytesRead === 0) {
          pool.give(buffer); // nobody saw it
          if (!this.destroyed) this.push(null);
          return;
        }
        this.#position += bytesRead;
        this.push(buffer.subarray(0, bytesRead));
      },
      (error: unknown) => {
        pool.give(buffer);
        this.destroy(fsFailure(error, `reading ${this.#what}`));
      },
    );
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    // FileHandle.close() waits for a read still in flight before it closes the descriptor.
    this.#handle.close().then(
      () => callback(error),
      (closeError: unknown) => callback(error ?? fsFailure(closeError, `closing ${this.#what}`)),
    );
  }
}

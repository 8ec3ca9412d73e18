import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type {
  BlobKey,
  BlobStat,
  BlobStore,
  GetOptions,
  PutOptions,
  PutResult,
} from './blob-store.js';
import {
  BlobExistsError,
  BlobNotFoundError,
  StorageAbortedError,
  StorageUnavailableError,
} from './errors.js';
import { assertSafeKey, assertSafePrefix } from './keys.js';
import { abortFailure, bodyFailure, lengthMismatch } from './put-failure.js';
import { resolveRange } from './range.js';

interface StoredBlob {
  bytes: Buffer;
  modifiedAt: Date;
}

/** Size of the chunks `get` streams, so consumers see more than one chunk as with real stores. */
const CHUNK_SIZE = 64 * 1024;

/**
 * Blobs in a Map, for tests. Same contract as the other backends (blob-store.contract.ts); the
 * key becomes visible only once the whole body has arrived, so a failed or aborted put leaves
 * nothing behind and concurrent puts to one key have exactly one winner.
 */
export class MemoryBlobStore implements BlobStore {
  readonly #blobs = new Map<BlobKey, StoredBlob>();
  #closed = false;

  /** `name`: the store's tier name in the index. */
  constructor(readonly name = 'memory') {}

  async put(key: BlobKey, body: Readable, options: PutOptions = {}): Promise<PutResult> {
    const { signal, contentLength } = options;
    try {
      this.#assertOpen();
      assertSafeKey(key);
      if (signal?.aborted) throw abortFailure(key, signal);
      if (this.#blobs.has(key)) throw new BlobExistsError(key);
    } catch (error) {
      body.destroy();
      throw error;
    }

    const chunks: Buffer[] = [];
    let size = 0;
    const collect = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        chunks.push(chunk);
        size += chunk.length;
        callback();
      },
    });
    try {
      await pipeline(body, collect, signal ? { signal } : {});
    } catch (error) {
      throw signal?.aborted ? abortFailure(key, signal) : bodyFailure(key, error);
    }
    if (contentLength !== undefined && contentLength !== size) {
      throw lengthMismatch(key, contentLength, size);
    }
    await options.beforeVisible?.();
    this.#assertOpen();
    // Checked again: another put to the same key may have finished while this one streamed.
    if (this.#blobs.has(key)) throw new BlobExistsError(key);
    this.#blobs.set(key, { bytes: Buffer.concat(chunks, size), modifiedAt: new Date() });
    return { key, size };
  }

  get(key: BlobKey, options: GetOptions = {}): Promise<Readable> {
    const { signal, range } = options;
    return Promise.resolve().then(() => {
      this.#assertOpen();
      assertSafeKey(key);
      if (signal?.aborted) throw new StorageAbortedError(key, { cause: signal.reason });
      const blob = this.#getOrThrow(key);
      const bounds = resolveRange(key, blob.bytes.length, range);
      const view = bounds ? blob.bytes.subarray(bounds.start, bounds.end + 1) : blob.bytes;
      const stream = Readable.from(chunksOf(view), { objectMode: false });
      if (signal) {
        const onAbort = () =>
          stream.destroy(new StorageAbortedError(key, { cause: signal.reason }));
        signal.addEventListener('abort', onAbort, { once: true });
        stream.once('close', () => signal.removeEventListener('abort', onAbort));
      }
      return stream;
    });
  }

  stat(key: BlobKey): Promise<BlobStat> {
    return Promise.resolve().then(() => {
      this.#assertOpen();
      assertSafeKey(key);
      const blob = this.#getOrThrow(key);
      return { key, size: blob.bytes.length, modifiedAt: new Date(blob.modifiedAt) };
    });
  }

  exists(key: BlobKey): Promise<boolean> {
    return Promise.resolve().then(() => {
      this.#assertOpen();
      assertSafeKey(key);
      return this.#blobs.has(key);
    });
  }

  delete(key: BlobKey): Promise<void> {
    return Promise.resolve().then(() => {
      this.#assertOpen();
      assertSafeKey(key);
      this.#blobs.delete(key);
    });
  }

  // Async only to honour the interface; checks run on first next(), as in the other backends.
  // eslint-disable-next-line @typescript-eslint/require-await
  async *list(prefix = ''): AsyncIterable<BlobKey> {
    this.#assertOpen();
    assertSafePrefix(prefix);
    // A snapshot, so puts and deletes during iteration do not disturb it.
    for (const key of [...this.#blobs.keys()]) {
      if (key.startsWith(prefix)) yield key;
    }
  }

  close(): Promise<void> {
    this.#closed = true;
    this.#blobs.clear();
    return Promise.resolve();
  }

  #getOrThrow(key: BlobKey): StoredBlob {
    const blob = this.#blobs.get(key);
    if (!blob) throw new BlobNotFoundError(key);
    return blob;
  }

  #assertOpen(): void {
    if (this.#closed) throw new StorageUnavailableError('memory blob store is closed');
  }
}

function* chunksOf(bytes: Buffer): Generator<Buffer> {
  for (let offset = 0; offset < bytes.length; offset += CHUNK_SIZE) {
    // Copies, so a consumer that mutates chunks cannot change the stored blob.
    yield Buffer.from(bytes.subarray(offset, offset + CHUNK_SIZE));
  }
}

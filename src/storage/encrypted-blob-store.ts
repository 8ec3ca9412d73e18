import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream';
import type {
  BlobKey,
  BlobStat,
  BlobStore,
  GetOptions,
  PutOptions,
  PutResult,
} from './blob-store.js';
import { tapBody } from './body-tap.js';
import {
  CHUNK_BYTES,
  HEADER_BYTES,
  TAG_BYTES,
  chunkCount,
  cipherSize,
  newHeader,
  parseHeader,
  plainSize,
  type Header,
} from './encrypted-format.js';
import { decryptStream, encryptStream } from './encrypted-streams.js';
import {
  BlobIntegrityError,
  EncryptionKeyUnknownError,
  StorageUnavailableError,
} from './errors.js';
import { peekBytes } from './peek-stream.js';
import { resolveRange } from './range.js';

export interface EncryptedBlobStoreOptions {
  /** Key id that encrypts new objects. */
  activeKeyId: string;
  /** Every key that may be needed to read, by id; 32 bytes each. Never logged. */
  keys: ReadonlyMap<string, Buffer>;
}

/**
 * Encryption at rest over any BlobStore: AES-256-GCM in authenticated 64 KiB chunks
 * (encrypted-format.ts), so objects stream both ways and a range read fetches and decrypts only
 * the chunks that cover it. Each object records the id of the key that sealed it, so keys
 * rotate by adding a new active key while the old ones stay configured for reading. Sizes and
 * ranges are plaintext; the store underneath sees only ciphertext. Tampering of any kind fails
 * the read with BlobIntegrityError before the affected bytes are emitted.
 */
export class EncryptedBlobStore implements BlobStore {
  readonly name: string;
  readonly #inner: BlobStore;
  readonly #keys: ReadonlyMap<string, Buffer>;
  readonly #activeKeyId: string;

  constructor(inner: BlobStore, options: EncryptedBlobStoreOptions) {
    const active = options.keys.get(options.activeKeyId);
    if (!active || active.length !== 32) {
      throw new StorageUnavailableError('encryption: the active key is missing or not 32 bytes');
    }
    for (const key of options.keys.values()) {
      if (key.length !== 32) throw new StorageUnavailableError('encryption: keys must be 32 bytes');
    }
    this.#inner = inner;
    this.name = inner.name;
    this.#keys = options.keys;
    this.#activeKeyId = options.activeKeyId;
  }

  /** The store underneath (ciphertext), e.g. for HSM's storage-class changes. */
  get inner(): BlobStore {
    return this.#inner;
  }

  async put(key: BlobKey, body: Readable, options: PutOptions = {}): Promise<PutResult> {
    const { contentLength, signal } = options;
    const header = newHeader(this.#activeKeyId);
    // The plaintext length is checked here (the tap), the ciphertext length by the store below.
    const tap = tapBody(key, body, contentLength);
    const sealed = pipeline(
      tap.stream,
      encryptStream(this.#keys.get(this.#activeKeyId)!, header),
      () => {},
    );
    await this.#inner.put(key, sealed, {
      ...(signal ? { signal } : {}),
      beforeVisible: options.beforeVisible,
      ...(contentLength !== undefined ? { contentLength: cipherSize(contentLength) } : {}),
    });
    return { key, size: tap.size() };
  }

  async get(key: BlobKey, options: GetOptions = {}): Promise<Readable> {
    const { range, signal } = options;
    const passOn = signal ? { signal } : {};
    if (range === undefined) {
      const sealed = await this.#inner.get(key, passOn);
      // The header is checked before the stream is handed out, so a missing key or a damaged
      // header is an error the caller can still answer properly (not a response cut short).
      try {
        this.#checkHeader(key, parseHeader(key, await peekBytes(sealed, HEADER_BYTES)));
      } catch (error) {
        sealed.destroy();
        throw error;
      }
      return pipeline(
        sealed,
        decryptStream(key, this.#keys, undefined, { firstChunk: 0, skip: 0, take: undefined }),
        () => {},
      );
    }
    const size = (await this.stat(key)).size;
    const { start, end } = resolveRange(key, size, range)!;
    const header = await this.#readHeader(key, signal);
    const chunk = header.chunkSize;
    const first = Math.floor(start / chunk);
    const last = Math.floor(end / chunk);
    const sealedSize = chunk + TAG_BYTES;
    const sealed = await this.#inner.get(key, {
      ...passOn,
      range: {
        start: HEADER_BYTES + first * sealedSize,
        end: HEADER_BYTES + (last + 1) * sealedSize - 1,
      },
    });
    return pipeline(
      sealed,
      decryptStream(key, this.#keys, header, {
        firstChunk: first,
        lastChunk: last,
        totalChunks: chunkCount(size, chunk),
        skip: start - first * chunk,
        take: end - start + 1,
      }),
      () => {},
    );
  }

  /** Plaintext size, computed from the stored size (fixed header, fixed chunk size). */
  async stat(key: BlobKey): Promise<BlobStat> {
    const stat = await this.#inner.stat(key);
    const size = plainSize(stat.size, CHUNK_BYTES);
    if (size === undefined)
      throw new BlobIntegrityError(key, 'stored size is not a valid encrypted size');
    return { ...stat, size };
  }

  exists(key: BlobKey): Promise<boolean> {
    return this.#inner.exists(key);
  }

  delete(key: BlobKey): Promise<void> {
    return this.#inner.delete(key);
  }

  list(prefix?: string): AsyncIterable<BlobKey> {
    return this.#inner.list(prefix);
  }

  /** The backend's start-up probe (the encryption layer itself has nothing to check). */
  async probe(): Promise<void> {
    await this.#inner.probe?.();
  }

  close(): Promise<void> {
    return this.#inner.close();
  }

  async #readHeader(key: BlobKey, signal?: AbortSignal) {
    const stream = await this.#inner.get(key, {
      range: { start: 0, end: HEADER_BYTES - 1 },
      ...(signal ? { signal } : {}),
    });
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    return this.#checkHeader(key, parseHeader(key, Buffer.concat(chunks)));
  }

  #checkHeader(key: BlobKey, header: Header): Header {
    if (header.chunkSize !== CHUNK_BYTES) {
      throw new BlobIntegrityError(key, 'chunk size differs from this version');
    }
    if (!this.#keys.has(header.keyId)) throw new EncryptionKeyUnknownError(key, header.keyId);
    return header;
  }
}

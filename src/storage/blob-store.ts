import type { Readable } from 'node:stream';

/**
 * Opaque key of one stored blob. Keys are made by `newBlobKey()` (storage/keys.ts), never from
 * DICOM UIDs: UIDs can carry PHI, invite path traversal and overwrite races, and cluster into hot
 * partitions on object stores. A key names one immutable version: it is written once, never
 * overwritten.
 */
export type BlobKey = string;

/** Inclusive byte range, as in HTTP `Range: bytes=start-end`. `end` omitted = to the end. */
export interface ByteRange {
  start: number;
  end?: number;
}

export interface BlobStat {
  key: BlobKey;
  size: number;
  /** Last modification time of the stored object. */
  modifiedAt: Date;
}

export interface PutResult {
  key: BlobKey;
  /** Bytes written. */
  size: number;
}

export interface PutOptions {
  /** Aborts the upload; nothing is left behind under `key`. */
  signal?: AbortSignal;
  /** Size if known in advance (lets object stores pick single-shot vs multipart). */
  contentLength?: number;
  /**
   * Awaited before the blob becomes visible under `key` (and before an object store starts its
   * upload): the caller's bookkeeping of the key (the pending journal row) may finish while the
   * bytes stream. If it rejects, the put fails with its error and nothing is left under `key`.
   */
  beforeVisible?: (() => Promise<unknown>) | undefined;
}

export interface GetOptions {
  range?: ByteRange;
  signal?: AbortSignal;
}

/**
 * Where bytes live. Implementations: filesystem (default), memory (tests), and later S3, Azure,
 * tiers and encryption as decorators. Every method throws only the typed errors of
 * storage/errors.ts (foreign errors are wrapped with `cause`).
 *
 * The contract (storage/blob-store.contract.ts runs it against every implementation):
 * - `put` streams `body` to `key` and resolves only once the bytes are durable (fsync'd /
 *   committed). It refuses an existing key with `BlobExistsError` and leaves the original intact.
 *   If `body` errors or the signal aborts, `put` rejects and nothing is visible under `key`.
 *   A body that fails with one of our own errors (a `code` like `lib.size_limit_exceeded`)
 *   rejects `put` with that same error; foreign body failures become `BlobBodyError`, aborts
 *   `StorageAbortedError`. A given `contentLength` that the body does not match is refused.
 * - `get` resolves to a stream of the whole blob or of `range`; a missing key rejects with
 *   `BlobNotFoundError` before any byte is streamed. Ranges follow RFC 9110 §14.1.2: an `end`
 *   past the last byte is shortened; a `start` at or past the size rejects with `BlobRangeError`.
 * - `delete` of a missing key is not an error (idempotent), so sweepers can retry.
 * - `list` yields every key (optionally under a prefix), in no guaranteed order.
 */
export interface BlobStore {
  /** A short name for logs and the index's backend column, e.g. `fs`, `memory`. */
  readonly name: string;
  put(key: BlobKey, body: Readable, options?: PutOptions): Promise<PutResult>;
  get(key: BlobKey, options?: GetOptions): Promise<Readable>;
  stat(key: BlobKey): Promise<BlobStat>;
  exists(key: BlobKey): Promise<boolean>;
  delete(key: BlobKey): Promise<void>;
  list(prefix?: string): AsyncIterable<BlobKey>;
  /**
   * Checks the backend can serve: bucket or container exists, credentials accepted, endpoint
   * reachable; for fs, the root is still a writable directory. Run at start-up (a setting to fix
   * rejects with `StorageSettingError`) and by the readiness endpoint. Memory stores have none.
   */
  probe?(): Promise<void>;
  /** Releases clients and handles. */
  close(): Promise<void>;
}

import type { Readable } from 'node:stream';
import type {
  BlobKey,
  BlobStat,
  BlobStore,
  ByteRange,
  GetOptions,
  PutOptions,
  PutResult,
} from './blob-store.js';
import { tapBody, type BodyTap } from './body-tap.js';
import {
  BlobExistsError,
  BlobOfflineError,
  BlobRangeError,
  StorageAbortedError,
  StorageUnavailableError,
} from './errors.js';
import { guardStream } from './guard-stream.js';
import { assertSafeKey, assertSafePrefix, isSafeKey } from './keys.js';
import { abortFailure, bodyFailure } from './put-failure.js';
import { validRangeShape } from './range.js';
import { cutToRange } from './range-cut.js';

/** How one backend's SDK errors read; each backend's `*-errors.ts` fills one in. */
export interface RemoteErrors {
  /** The backend in messages: `s3`, `azure`. */
  backend: string;
  /** A conditional write (`If-None-Match: *`) lost against an existing key. */
  isKeyTaken(error: unknown): boolean;
  /** 416: the range starts at or past the object's end. */
  isInvalidRange(error: unknown): boolean;
  /** A read of an object in an archive tier that has not been restored or rehydrated. */
  isArchived(error: unknown): boolean;
  /** Every other failure, as one of our storage errors with the SDK error as cause. */
  map(key: BlobKey, operation: string, error: unknown): Error;
}

/** A backend's answer to a (ranged) read: the body and the headers `cutToRange` checks. */
export interface RemoteBody {
  body: Readable;
  contentRange: string | undefined;
  contentLength: number | undefined;
}

/**
 * The part of the BlobStore contract that S3 and Azure keep alike: key checks, the closed state,
 * the body tap and the order in which a failed put is explained (abort, then the body's fault,
 * then a lost conditional write, then the backend), range reads cut to the contract, guarded
 * response streams, prefix-relative listing, and archived objects answered with
 * `BlobOfflineError` while a restore is started once per process.
 *
 * A backend subclass talks to its SDK in the hooks below. Hooks throw the SDK's errors as they
 * come (this class maps them through `errors`) unless they say otherwise.
 */
export abstract class RemoteBlobStore implements BlobStore {
  readonly name: string;
  readonly #errors: RemoteErrors;
  /** Keys this process asked to restore, so a burst of reads starts one restore. */
  readonly #restoring = new Set<BlobKey>();
  #closed = false;

  constructor(name: string, errors: RemoteErrors) {
    this.name = name;
    this.#errors = errors;
  }

  /** Streams the tapped body to `key`; commits only once the body has ended. */
  protected abstract upload(key: BlobKey, tap: BodyTap, options: PutOptions): Promise<void>;
  /** The object, or the backend's answer to `range` (whose end may lie past the object). */
  protected abstract download(
    key: BlobKey,
    range: ByteRange | undefined,
    signal: AbortSignal | undefined,
  ): Promise<RemoteBody>;
  protected abstract head(key: BlobKey): Promise<Omit<BlobStat, 'key'>>;
  /** Deletes; a missing key is not an error. */
  protected abstract remove(key: BlobKey): Promise<void>;
  /** Full object names under `prefix` (our configured prefix included), every page. */
  protected abstract names(prefix: string): AsyncIterable<string>;
  /**
   * Asks the backend to bring an archived object back online: true when started now or already
   * in progress, false when there is nothing to restore. Throws our errors, mapped.
   */
  protected abstract startRestore(key: BlobKey): Promise<boolean>;
  /** Retry-After hint for a read of an archived object, from the SDK error that said so. */
  protected abstract restoreSeconds(error: unknown): number;
  /** The prefix under which this store's keys are stored ('' or segments ending in '/'). */
  protected abstract readonly prefix: string;

  async put(key: BlobKey, body: Readable, options: PutOptions = {}): Promise<PutResult> {
    const { signal, contentLength } = options;
    try {
      this.assertOpen();
      assertSafeKey(key);
      if (signal?.aborted) throw abortFailure(key, signal);
    } catch (error) {
      body.destroy();
      throw error;
    }
    // Tapped now, before any await: a body failing while the backend waits (a lock, an existence
    // check, a container) must meet a listener (an unheard 'error' would crash the process).
    const tap = tapBody(key, body, contentLength);
    try {
      // An upload cannot be held back at its end, so it waits at its start.
      await options.beforeVisible?.();
    } catch (error) {
      tap.stream.destroy();
      body.destroy();
      throw error;
    }
    try {
      await this.upload(key, tap, options);
      return { key, size: tap.size() };
    } catch (error) {
      tap.stream.destroy();
      body.destroy();
      if (error instanceof BlobExistsError) throw error;
      if (signal?.aborted) throw abortFailure(key, signal);
      const failure = tap.failure();
      if (failure !== undefined) throw bodyFailure(key, failure);
      if (this.#errors.isKeyTaken(error)) throw new BlobExistsError(key, { cause: error });
      throw this.#errors.map(key, 'put', error);
    }
  }

  async get(key: BlobKey, options: GetOptions = {}): Promise<Readable> {
    const { signal, range } = options;
    this.assertOpen();
    assertSafeKey(key);
    if (signal?.aborted) throw new StorageAbortedError(key, { cause: signal.reason });
    if (range !== undefined && !validRangeShape(range)) {
      throw new BlobRangeError(key, (await this.stat(key)).size);
    }
    let response: RemoteBody;
    try {
      response = await this.download(key, range, signal);
    } catch (error) {
      if (signal?.aborted) throw new StorageAbortedError(key, { cause: signal.reason });
      if (this.#errors.isInvalidRange(error)) {
        throw new BlobRangeError(key, (await this.stat(key)).size);
      }
      if (this.#errors.isArchived(error)) throw await this.offline(key, error);
      throw this.#errors.map(key, 'get', error);
    }
    const { backend } = this.#errors;
    if (range === undefined) return guardStream(backend, key, response.body, signal);
    return guardStream(backend, key, cutToRange(key, range, response, response.body), signal);
  }

  async stat(key: BlobKey): Promise<BlobStat> {
    this.assertOpen();
    assertSafeKey(key);
    try {
      return { key, ...(await this.head(key)) };
    } catch (error) {
      throw this.#errors.map(key, 'stat', error);
    }
  }

  /** By `stat`; a backend with a cheaper existence call overrides it. */
  async exists(key: BlobKey): Promise<boolean> {
    this.assertOpen();
    assertSafeKey(key);
    return (await this.findStat(key)) !== undefined;
  }

  async delete(key: BlobKey): Promise<void> {
    this.assertOpen();
    assertSafeKey(key);
    try {
      await this.remove(key);
    } catch (error) {
      throw this.#errors.map(key, 'delete', error);
    }
  }

  async *list(prefix = ''): AsyncIterable<BlobKey> {
    this.assertOpen();
    assertSafePrefix(prefix);
    try {
      for await (const name of this.names(this.prefix + prefix)) {
        const key = name.slice(this.prefix.length);
        // Objects written by others under our prefix are not ours to report.
        if (isSafeKey(key)) yield key;
      }
    } catch (error) {
      throw this.#errors.map(prefix || '(all)', 'list', error);
    }
  }

  /** Starts bringing an archived object back online; see `startRestore`. */
  async requestRestore(key: BlobKey): Promise<boolean> {
    this.assertOpen();
    assertSafeKey(key);
    const started = await this.startRestore(key);
    if (started) this.#restoring.add(key);
    return started;
  }

  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.release();
    }
    return Promise.resolve();
  }

  /** Releases what the backend holds (an SDK client it built), once, at `close`. */
  protected release(): void {}

  /** `stat`, or undefined when the key is missing. */
  protected async findStat(key: BlobKey): Promise<BlobStat | undefined> {
    try {
      return await this.stat(key);
    } catch (error) {
      if ((error as { code?: string }).code === 'storage.blob_not_found') return undefined;
      throw error;
    }
  }

  protected assertOpen(): void {
    if (this.#closed) {
      throw new StorageUnavailableError(
        `${this.#errors.backend} blob store ${this.name} is closed`,
      );
    }
  }

  /** The offline error for an archived object, starting its restore once per process. */
  protected async offline(key: BlobKey, error: unknown): Promise<BlobOfflineError> {
    const retryAfter = this.restoreSeconds(error);
    let started = this.#restoring.has(key);
    if (!started) {
      try {
        started = await this.requestRestore(key);
      } catch {
        started = false; // the read still answers "offline"; the next read tries again
      }
    }
    return new BlobOfflineError(key, retryAfter, started, { cause: error });
  }
}

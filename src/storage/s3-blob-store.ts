import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { Readable } from 'node:stream';
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  RestoreObjectCommand,
  S3Client,
  type PutObjectCommandInput,
  type StorageClass,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
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
  BlobExistsError,
  BlobOfflineError,
  BlobRangeError,
  StorageAbortedError,
  StorageUnavailableError,
} from './errors.js';
import { S3_DEFAULTS, type S3BlobStoreOptions } from './s3-options.js';
import { s3SettingError } from './s3-probe.js';
import { guardStream } from './guard-stream.js';
import { KeyLock } from './key-lock.js';
import { assertSafeKey, assertSafePrefix, isSafeKey } from './keys.js';
import { abortFailure, bodyFailure } from './put-failure.js';
import { validRangeShape } from './range.js';
import { cutToRange } from './range-cut.js';
import {
  isS3Archived,
  isS3InvalidRange,
  isS3KeyTaken,
  isS3NotFound,
  mapS3Error,
  s3ErrorName,
} from './s3-errors.js';

export type { S3BlobStoreOptions } from './s3-options.js';

/**
 * Retry-After hints for a restore in progress, by storage class and retrieval tier (typical
 * completion times from the S3 user guide, "Archive retrieval options").
 */
const RESTORE_SECONDS: Record<string, Record<string, number>> = {
  GLACIER: { Expedited: 5 * 60, Standard: 5 * 3600, Bulk: 12 * 3600 },
  DEEP_ARCHIVE: { Expedited: 12 * 3600, Standard: 12 * 3600, Bulk: 48 * 3600 },
};

/**
 * BlobStore on Amazon S3 or an S3-compatible store (MinIO, s3rver). Keys are stored under the
 * configured prefix. Writes are write-once: `If-None-Match: *` on PutObject and
 * CompleteMultipartUpload (S3 conditional writes, 2024) makes S3 itself refuse an existing key;
 * targets that ignore the header (s3rver, older MinIO) are covered by a HeadObject check under
 * an in-process per-key lock — two *processes* racing on one key could then both write, which
 * cannot happen with our keys (each is a fresh ULID), only with a caller that reuses keys.
 */
export class S3BlobStore implements BlobStore {
  readonly name: string;
  readonly #client: S3Client;
  readonly #bucket: string;
  readonly #prefix: string;
  readonly #options: S3BlobStoreOptions;
  readonly #locks = new KeyLock();
  /** Keys this process asked S3 to restore, so a burst of reads sends one RestoreObject. */
  readonly #restoring = new Set<BlobKey>();
  #closed = false;

  constructor(options: S3BlobStoreOptions) {
    this.name = options.name;
    this.#options = options;
    this.#bucket = options.bucket;
    this.#prefix = options.prefix ?? '';
    this.#client = options.client ?? createS3Client(options);
  }

  async put(key: BlobKey, body: Readable, options: PutOptions = {}): Promise<PutResult> {
    const { signal, contentLength } = options;
    try {
      this.#assertOpen();
      assertSafeKey(key);
      if (signal?.aborted) throw abortFailure(key, signal);
    } catch (error) {
      body.destroy();
      throw error;
    }
    // Tapped now, before any await: a body failing while we wait for the lock or the existence
    // check must meet a listener (an unheard 'error' would crash the process).
    const tap = tapBody(key, body, contentLength);
    return this.#locks.run(key, async () => {
      try {
        if (await this.#headOrUndefined(key)) throw new BlobExistsError(key);
        const single =
          contentLength !== undefined &&
          contentLength <=
            (this.#options.multipartThresholdBytes ?? S3_DEFAULTS.multipartThresholdBytes);
        if (single) await this.#putSingle(key, tap.stream, contentLength, signal);
        else await this.#putMultipart(key, tap.stream, signal);
        return { key, size: tap.size() };
      } catch (error) {
        tap.stream.destroy();
        body.destroy();
        if (error instanceof BlobExistsError) throw error;
        if (signal?.aborted) throw abortFailure(key, signal);
        const failure = tap.failure();
        if (failure !== undefined) throw bodyFailure(key, failure);
        if (isS3KeyTaken(error)) throw new BlobExistsError(key, { cause: error });
        throw mapS3Error(key, 'put', error);
      }
    });
  }

  /** Known, small length: the body is read into memory (≤ threshold) and sent in one request. */
  async #putSingle(key: BlobKey, body: Readable, length: number, signal?: AbortSignal) {
    const chunks: Buffer[] = [];
    for await (const chunk of body) chunks.push(chunk as Buffer);
    await this.#client.send(
      new PutObjectCommand({ ...this.#putParams(key), Body: Buffer.concat(chunks, length) }),
      signal ? { abortSignal: signal } : {},
    );
  }

  /**
   * Unknown or large length: lib-storage's Upload reads `partSize` bytes at a time and uploads
   * up to `queueSize` parts at once; a body shorter than one part becomes a single PutObject.
   * On any failure or abort, Upload sends AbortMultipartUpload (leavePartsOnError: false), so no
   * parts linger and nothing becomes visible under the key.
   */
  async #putMultipart(key: BlobKey, body: Readable, signal?: AbortSignal) {
    const upload = new Upload({
      client: this.#client,
      params: { ...this.#putParams(key), Body: body },
      partSize: this.#options.partSizeBytes ?? S3_DEFAULTS.partSizeBytes,
      queueSize: this.#options.queueSize ?? S3_DEFAULTS.queueSize,
      leavePartsOnError: false,
    });
    const onAbort = () => void upload.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await upload.done();
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  #putParams(key: BlobKey): PutObjectCommandInput {
    const o = this.#options;
    return {
      Bucket: this.#bucket,
      Key: this.#prefix + key,
      IfNoneMatch: '*',
      ContentType: 'application/octet-stream',
      ...(o.storageClass ? { StorageClass: o.storageClass as StorageClass } : {}),
      ...(o.serverSideEncryption ? { ServerSideEncryption: o.serverSideEncryption } : {}),
      ...(o.sseKmsKeyId ? { SSEKMSKeyId: o.sseKmsKeyId } : {}),
    };
  }

  async get(key: BlobKey, options: GetOptions = {}): Promise<Readable> {
    const { signal, range } = options;
    this.#assertOpen();
    assertSafeKey(key);
    if (signal?.aborted) throw new StorageAbortedError(key, { cause: signal.reason });
    if (range !== undefined && !validRangeShape(range)) {
      throw new BlobRangeError(key, (await this.stat(key)).size);
    }
    let response;
    try {
      response = await this.#client.send(
        new GetObjectCommand({
          Bucket: this.#bucket,
          Key: this.#prefix + key,
          // RFC 9110 §14.1.2; S3 clamps an end past the object like any HTTP server.
          ...(range ? { Range: `bytes=${range.start}-${range.end ?? ''}` } : {}),
        }),
        signal ? { abortSignal: signal } : {},
      );
    } catch (error) {
      if (signal?.aborted) throw new StorageAbortedError(key, { cause: signal.reason });
      if (isS3InvalidRange(error)) throw new BlobRangeError(key, (await this.stat(key)).size);
      if (isS3Archived(error)) throw await this.#offline(key, error);
      throw mapS3Error(key, 'get', error);
    }
    const body = response.Body as Readable;
    if (range === undefined) return guardStream('s3', key, body, signal);
    return guardStream(
      's3',
      key,
      cutToRange(
        key,
        range,
        { contentRange: response.ContentRange, contentLength: response.ContentLength },
        body,
      ),
      signal,
    );
  }

  async stat(key: BlobKey): Promise<BlobStat> {
    this.#assertOpen();
    assertSafeKey(key);
    try {
      const head = await this.#client.send(
        new HeadObjectCommand({ Bucket: this.#bucket, Key: this.#prefix + key }),
      );
      return { key, size: head.ContentLength ?? 0, modifiedAt: head.LastModified ?? new Date(0) };
    } catch (error) {
      throw mapS3Error(key, 'stat', error);
    }
  }

  async exists(key: BlobKey): Promise<boolean> {
    this.#assertOpen();
    assertSafeKey(key);
    return (await this.#headOrUndefined(key)) !== undefined;
  }

  async delete(key: BlobKey): Promise<void> {
    this.#assertOpen();
    assertSafeKey(key);
    try {
      // DeleteObject of a missing key succeeds (204) on S3: idempotent as the contract wants.
      await this.#client.send(
        new DeleteObjectCommand({ Bucket: this.#bucket, Key: this.#prefix + key }),
      );
    } catch (error) {
      if (isS3NotFound(error)) return;
      throw mapS3Error(key, 'delete', error);
    }
  }

  async *list(prefix = ''): AsyncIterable<BlobKey> {
    this.#assertOpen();
    assertSafePrefix(prefix);
    let token: string | undefined;
    do {
      let page;
      try {
        page = await this.#client.send(
          new ListObjectsV2Command({
            Bucket: this.#bucket,
            Prefix: this.#prefix + prefix,
            ...(token ? { ContinuationToken: token } : {}),
          }),
        );
      } catch (error) {
        throw mapS3Error(prefix || '(all)', 'list', error);
      }
      for (const object of page.Contents ?? []) {
        const key = object.Key?.slice(this.#prefix.length);
        // Objects written by others under our prefix are not ours to report.
        if (key !== undefined && isSafeKey(key)) yield key;
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  /**
   * Moves an object to another storage class by copying it onto itself (S3 has no in-place
   * change). CopyObject handles objects up to 5 GiB; larger ones would need UploadPartCopy.
   * An archived object must be restored before it can be copied.
   */
  async setStorageClass(key: BlobKey, storageClass: string): Promise<void> {
    this.#assertOpen();
    assertSafeKey(key);
    const o = this.#options;
    try {
      await this.#client.send(
        new CopyObjectCommand({
          Bucket: this.#bucket,
          Key: this.#prefix + key,
          CopySource: `${this.#bucket}/${encodeURIComponent(this.#prefix + key).replace(/%2F/g, '/')}`,
          StorageClass: storageClass as StorageClass,
          // REPLACE: S3 refuses a copy onto itself that changes nothing it counts as metadata.
          MetadataDirective: 'REPLACE',
          ContentType: 'application/octet-stream',
          ...(o.serverSideEncryption ? { ServerSideEncryption: o.serverSideEncryption } : {}),
          ...(o.sseKmsKeyId ? { SSEKMSKeyId: o.sseKmsKeyId } : {}),
        }),
      );
    } catch (error) {
      if (isS3Archived(error)) throw await this.#offline(key, error);
      throw mapS3Error(key, 'set storage class', error);
    }
  }

  /**
   * Asks S3 to restore an archived object for `restoreDays` (RestoreObject). Resolves true when
   * a restore was started or is already running; false when the object is not archived.
   */
  async requestRestore(key: BlobKey): Promise<boolean> {
    this.#assertOpen();
    assertSafeKey(key);
    try {
      await this.#client.send(
        new RestoreObjectCommand({
          Bucket: this.#bucket,
          Key: this.#prefix + key,
          RestoreRequest: {
            Days: this.#options.restoreDays ?? S3_DEFAULTS.restoreDays,
            GlacierJobParameters: { Tier: this.#options.restoreTier ?? S3_DEFAULTS.restoreTier },
          },
        }),
      );
      this.#restoring.add(key);
      return true;
    } catch (error) {
      const name = s3ErrorName(error);
      if (name === 'RestoreAlreadyInProgress') {
        this.#restoring.add(key);
        return true;
      }
      // Not an archived object (nothing to restore), e.g. STANDARD or already restored.
      if (name === 'InvalidObjectState') return false;
      throw mapS3Error(key, 'restore', error);
    }
  }

  /**
   * HeadBucket at start-up, through the same client (retries included), so a missing bucket,
   * refused credentials, a wrong region or an unreachable endpoint stop the server before the
   * first STOW meets them.
   */
  async probe(): Promise<void> {
    this.#assertOpen();
    try {
      await this.#client.send(new HeadBucketCommand({ Bucket: this.#bucket }));
    } catch (error) {
      throw s3SettingError(error) ?? mapS3Error('(bucket)', 'probe', error);
    }
  }

  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      if (!this.#options.client) this.#client.destroy();
    }
    return Promise.resolve();
  }

  /** The offline error for an archived object, starting its restore once per process. */
  async #offline(key: BlobKey, error: unknown): Promise<BlobOfflineError> {
    const storageClass = (error as { StorageClass?: string }).StorageClass ?? 'GLACIER';
    const tier = this.#options.restoreTier ?? S3_DEFAULTS.restoreTier;
    const retryAfter = RESTORE_SECONDS[storageClass]?.[tier] ?? 5 * 3600;
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

  async #headOrUndefined(key: BlobKey): Promise<BlobStat | undefined> {
    try {
      return await this.stat(key);
    } catch (error) {
      if ((error as { code?: string }).code === 'storage.blob_not_found') return undefined;
      throw error;
    }
  }

  #assertOpen(): void {
    if (this.#closed) throw new StorageUnavailableError(`s3 blob store ${this.name} is closed`);
  }
}

/** The SDK client: keep-alive agents with a socket cap, timeouts, the standard retry strategy. */
function createS3Client(o: S3BlobStoreOptions): S3Client {
  const agent = { keepAlive: true, maxSockets: o.maxSockets ?? S3_DEFAULTS.maxSockets };
  return new S3Client({
    region: o.region,
    ...(o.endpoint ? { endpoint: o.endpoint } : {}),
    forcePathStyle: o.forcePathStyle ?? false,
    ...(o.credentials ? { credentials: o.credentials } : {}),
    // Standard retry mode: exponential backoff with jitter on throttling (503 SlowDown) and
    // transient errors (5xx, timeouts, resets), up to maxAttempts tries in all.
    maxAttempts: o.maxAttempts ?? S3_DEFAULTS.maxAttempts,
    retryMode: 'standard',
    requestHandler: {
      httpAgent: new HttpAgent(agent),
      httpsAgent: new HttpsAgent(agent),
      connectionTimeout: Math.min(o.requestTimeoutMs ?? S3_DEFAULTS.requestTimeoutMs, 10_000),
      // Until the response headers arrive. Without throwOnRequestTimeout the handler only logs
      // a warning when a request overruns (@smithy/node-http-handler 4.x) and waits on; the
      // TimeoutError is transient, so it is retried with backoff. No socket idle timeout: a
      // slow WADO client pauses the object's body (backpressure) and must not cut it.
      requestTimeout: o.requestTimeoutMs ?? S3_DEFAULTS.requestTimeoutMs,
      throwOnRequestTimeout: true,
    },
    // S3-compatible targets (MinIO, s3rver) often reject the default CRC32 trailing checksums
    // of SDK ≥ 3.729; integrity is ours anyway (SHA-256 in the index, GCM when encrypted).
    ...(o.endpoint
      ? { requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' }
      : {}),
  });
}

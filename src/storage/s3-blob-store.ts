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
import type { BlobKey, BlobStat, ByteRange, PutOptions } from './blob-store.js';
import type { BodyTap } from './body-tap.js';
import { BlobExistsError } from './errors.js';
import { KeyLock } from './key-lock.js';
import { assertSafeKey } from './keys.js';
import { RemoteBlobStore, type RemoteBody } from './remote-blob-store.js';
import { isS3NotFound, mapS3Error, s3ErrorName, s3Errors } from './s3-errors.js';
import { s3SettingError } from './s3-probe.js';

import { S3_DEFAULTS, type S3BlobStoreOptions } from './s3-options.js';

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
export class S3BlobStore extends RemoteBlobStore {
  protected readonly prefix: string;
  readonly #client: S3Client;
  readonly #bucket: string;
  readonly #options: S3BlobStoreOptions;
  readonly #locks = new KeyLock();

  constructor(options: S3BlobStoreOptions) {
    super(options.name, s3Errors);
    this.#options = options;
    this.#bucket = options.bucket;
    this.prefix = options.prefix ?? '';
    this.#client = options.client ?? createS3Client(options);
  }

  protected upload(key: BlobKey, tap: BodyTap, options: PutOptions): Promise<void> {
    const { signal, contentLength } = options;
    return this.#locks.run(key, async () => {
      if (await this.findStat(key)) throw new BlobExistsError(key);
      // An abort during the lock wait or the check above has already fired: the multipart
      // upload's abort listener would never hear it and would wait on the body for ever.
      signal?.throwIfAborted();
      const single =
        contentLength !== undefined &&
        contentLength <=
          (this.#options.multipartThresholdBytes ?? S3_DEFAULTS.multipartThresholdBytes);
      if (single) await this.#putSingle(key, tap.stream, contentLength, signal);
      else await this.#putMultipart(key, tap.stream, signal);
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
      ...this.#object(key),
      IfNoneMatch: '*',
      ContentType: 'application/octet-stream',
      ...(o.storageClass ? { StorageClass: o.storageClass as StorageClass } : {}),
      ...(o.serverSideEncryption ? { ServerSideEncryption: o.serverSideEncryption } : {}),
      ...(o.sseKmsKeyId ? { SSEKMSKeyId: o.sseKmsKeyId } : {}),
    };
  }

  protected async download(
    key: BlobKey,
    range: ByteRange | undefined,
    signal: AbortSignal | undefined,
  ): Promise<RemoteBody> {
    const response = await this.#client.send(
      new GetObjectCommand({
        ...this.#object(key),
        // RFC 9110 §14.1.2; S3 clamps an end past the object like any HTTP server.
        ...(range ? { Range: `bytes=${range.start}-${range.end ?? ''}` } : {}),
      }),
      signal ? { abortSignal: signal } : {},
    );
    return {
      body: response.Body as Readable,
      contentRange: response.ContentRange,
      contentLength: response.ContentLength,
    };
  }

  protected async head(key: BlobKey): Promise<Omit<BlobStat, 'key'>> {
    const head = await this.#client.send(new HeadObjectCommand(this.#object(key)));
    return { size: head.ContentLength ?? 0, modifiedAt: head.LastModified ?? new Date(0) };
  }

  protected async remove(key: BlobKey): Promise<void> {
    try {
      // DeleteObject of a missing key succeeds (204) on S3: idempotent as the contract wants.
      await this.#client.send(new DeleteObjectCommand(this.#object(key)));
    } catch (error) {
      if (!isS3NotFound(error)) throw error;
    }
  }

  protected async *names(prefix: string): AsyncIterable<string> {
    let token: string | undefined;
    do {
      const page = await this.#client.send(
        new ListObjectsV2Command({
          Bucket: this.#bucket,
          Prefix: prefix,
          ...(token ? { ContinuationToken: token } : {}),
        }),
      );
      for (const object of page.Contents ?? []) if (object.Key !== undefined) yield object.Key;
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  /**
   * Moves an object to another storage class by copying it onto itself (S3 has no in-place
   * change). CopyObject handles objects up to 5 GiB; larger ones would need UploadPartCopy.
   * An archived object must be restored before it can be copied.
   */
  async setStorageClass(key: BlobKey, storageClass: string): Promise<void> {
    this.assertOpen();
    assertSafeKey(key);
    const o = this.#options;
    try {
      await this.#client.send(
        new CopyObjectCommand({
          ...this.#object(key),
          CopySource: `${this.#bucket}/${encodeURIComponent(this.prefix + key).replace(/%2F/g, '/')}`,
          StorageClass: storageClass as StorageClass,
          // REPLACE: S3 refuses a copy onto itself that changes nothing it counts as metadata.
          MetadataDirective: 'REPLACE',
          ContentType: 'application/octet-stream',
          ...(o.serverSideEncryption ? { ServerSideEncryption: o.serverSideEncryption } : {}),
          ...(o.sseKmsKeyId ? { SSEKMSKeyId: o.sseKmsKeyId } : {}),
        }),
      );
    } catch (error) {
      // An archived object: the same offline answer (and restore) as a read of it.
      if (s3Errors.isArchived(error)) throw await this.offline(key, error);
      throw mapS3Error(key, 'set storage class', error);
    }
  }

  /**
   * RestoreObject for `restoreDays`: true when a restore was started or is already running;
   * false when the object is not archived.
   */
  protected async startRestore(key: BlobKey): Promise<boolean> {
    try {
      await this.#client.send(
        new RestoreObjectCommand({
          ...this.#object(key),
          RestoreRequest: {
            Days: this.#options.restoreDays ?? S3_DEFAULTS.restoreDays,
            GlacierJobParameters: { Tier: this.#options.restoreTier ?? S3_DEFAULTS.restoreTier },
          },
        }),
      );
      return true;
    } catch (error) {
      const name = s3ErrorName(error);
      if (name === 'RestoreAlreadyInProgress') return true;
      // Not an archived object (nothing to restore), e.g. STANDARD or already restored.
      if (name === 'InvalidObjectState') return false;
      throw mapS3Error(key, 'restore', error);
    }
  }

  protected restoreSeconds(error: unknown): number {
    const storageClass = (error as { StorageClass?: string }).StorageClass ?? 'GLACIER';
    const tier = this.#options.restoreTier ?? 'Standard';
    return RESTORE_SECONDS[storageClass]?.[tier] ?? 5 * 3600;
  }

  /**
   * HeadBucket at start-up, through the same client (retries included), so a missing bucket,
   * refused credentials, a wrong region or an unreachable endpoint stop the server before the
   * first STOW meets them.
   */
  async probe(): Promise<void> {
    this.assertOpen();
    try {
      await this.#client.send(new HeadBucketCommand({ Bucket: this.#bucket }));
    } catch (error) {
      throw s3SettingError(error) ?? mapS3Error('(bucket)', 'probe', error);
    }
  }

  protected override release(): void {
    if (!this.#options.client) this.#client.destroy();
  }

  #object(key: BlobKey): { Bucket: string; Key: string } {
    return { Bucket: this.#bucket, Key: this.prefix + key };
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

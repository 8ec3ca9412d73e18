import type { BlobKey } from './blob-store.js';
import type { RemoteErrors } from './remote-blob-store.js';
import { BlobNotFoundError, StorageAbortedError, StorageUnavailableError } from './errors.js';

/** What the SDK's service exceptions and network errors look like, as far as we read them. */
export interface S3ErrorShape {
  name?: string;
  Code?: string;
  code?: string;
  StorageClass?: string;
  $metadata?: { httpStatusCode?: number };
}

export function s3ErrorName(error: unknown): string {
  const e = (error ?? {}) as S3ErrorShape;
  return e.name ?? e.Code ?? 'Error';
}

export function s3Status(error: unknown): number | undefined {
  return (error as S3ErrorShape | undefined)?.$metadata?.httpStatusCode;
}

export function isS3NotFound(error: unknown): boolean {
  const name = s3ErrorName(error);
  return (
    name === 'NoSuchKey' ||
    name === 'NotFound' ||
    (s3Status(error) === 404 && name !== 'NoSuchBucket')
  );
}

/** 416: the range starts at or past the object's end (empty objects have no satisfiable range). */
export function isS3InvalidRange(error: unknown): boolean {
  return s3ErrorName(error) === 'InvalidRange' || s3Status(error) === 416;
}

/**
 * A conditional write lost: `If-None-Match: *` found the key (412 PreconditionFailed), or a
 * concurrent conditional write to the same key was in flight (409 ConditionalRequestConflict).
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html
 */
export function isS3KeyTaken(error: unknown): boolean {
  const name = s3ErrorName(error);
  return (
    name === 'PreconditionFailed' ||
    name === 'ConditionalRequestConflict' ||
    s3Status(error) === 412
  );
}

/**
 * GetObject of an object in GLACIER / DEEP_ARCHIVE (or an archive tier of INTELLIGENT_TIERING)
 * that has not been restored: 403 InvalidObjectState.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html
 */
export function isS3Archived(error: unknown): boolean {
  return s3ErrorName(error) === 'InvalidObjectState';
}

/** Every other failure: ours when it is one, else unavailable with the SDK error as cause. */
export function mapS3Error(key: BlobKey, operation: string, error: unknown): Error {
  const name = s3ErrorName(error);
  if (isS3NotFound(error)) return new BlobNotFoundError(key, { cause: error });
  if (name === 'AbortError') return new StorageAbortedError(key, { cause: error });
  const status = s3Status(error);
  const detail = status !== undefined ? `${name}, HTTP ${status}` : name;
  return new StorageUnavailableError(`s3 ${operation} of blob ${key} failed (${detail})`, {
    cause: error,
  });
}

/** The S3 reading of the failures the remote-store core tells apart. */
export const s3Errors: RemoteErrors = {
  backend: 's3',
  isKeyTaken: isS3KeyTaken,
  isInvalidRange: isS3InvalidRange,
  isArchived: isS3Archived,
  map: mapS3Error,
};

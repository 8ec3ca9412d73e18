import { ProjectError } from '../lib/errors.js';

/**
 * Storage errors. Stable `code`s; messages name keys (opaque, PHI-free), never DICOM values.
 * HTTP mapping lives only in web/problem.ts.
 */

export class BlobNotFoundError extends ProjectError {
  override readonly name = 'BlobNotFoundError';
  readonly code = 'storage.blob_not_found';
  constructor(
    readonly key: string,
    options?: ErrorOptions,
  ) {
    super(`blob ${key} not found`, options);
  }
}

export class BlobExistsError extends ProjectError {
  override readonly name = 'BlobExistsError';
  readonly code = 'storage.blob_exists';
  constructor(
    readonly key: string,
    options?: ErrorOptions,
  ) {
    super(`blob ${key} already exists; keys are never overwritten`, options);
  }
}

export class InvalidBlobKeyError extends ProjectError {
  override readonly name = 'InvalidBlobKeyError';
  readonly code = 'storage.invalid_key';
  constructor(reason: string) {
    super(`invalid blob key: ${reason}`);
  }
}

export class BlobRangeError extends ProjectError {
  override readonly name = 'BlobRangeError';
  readonly code = 'storage.range_not_satisfiable';
  constructor(
    readonly key: string,
    readonly size: number,
  ) {
    super(`range outside blob ${key} of ${size} bytes`);
  }
}

export class StorageUnavailableError extends ProjectError {
  override readonly name = 'StorageUnavailableError';
  readonly code = 'storage.unavailable';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/** The device or quota is full (ENOSPC, EDQUOT, EFBIG); retrying later or elsewhere may succeed. */
export class StorageFullError extends ProjectError {
  override readonly name = 'StorageFullError';
  readonly code = 'storage.full';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/** The caller's signal aborted the operation; `cause` is the signal's reason. */
export class StorageAbortedError extends ProjectError {
  override readonly name = 'StorageAbortedError';
  readonly code = 'storage.aborted';
  constructor(
    readonly key: string,
    options?: ErrorOptions,
  ) {
    super(`operation on blob ${key} aborted`, options);
  }
}

/**
 * The body given to `put` failed (errored, closed early, or was not `contentLength` bytes);
 * nothing was stored. `cause` is the body's error. Errors of this project that destroy the body
 * (e.g. lib's SizeLimitExceededError from a byte counter) are passed through unwrapped instead.
 */
export class BlobBodyError extends ProjectError {
  override readonly name = 'BlobBodyError';
  readonly code = 'storage.body_failed';
  constructor(
    readonly key: string,
    detail: string,
    options?: ErrorOptions,
  ) {
    super(`body of blob ${key} failed (${detail}); nothing was stored`, options);
  }
}

/**
 * The blob exists but sits in an offline tier (S3 Glacier, Azure Archive) and must be restored
 * before it can be read. `restoreStarted` says whether this call (or an earlier one) asked the
 * backend to restore it; `retryAfterSeconds` is a hint for clients (HTTP Retry-After).
 */
export class BlobOfflineError extends ProjectError {
  override readonly name = 'BlobOfflineError';
  readonly code = 'storage.offline';
  constructor(
    readonly key: string,
    readonly retryAfterSeconds: number,
    readonly restoreStarted: boolean,
    options?: ErrorOptions,
  ) {
    super(
      `blob ${key} is in an offline tier and not yet available${restoreStarted ? '; a restore is in progress' : ''}`,
      options,
    );
  }
}

/**
 * A stored object failed its integrity check on read: an encrypted chunk's GCM tag did not
 * verify (bit flip, swapped or reordered chunks, wrong key), or the object is truncated or has
 * no valid header. No unverified byte is ever returned. `reason` is PHI-free.
 */
export class BlobIntegrityError extends ProjectError {
  override readonly name = 'BlobIntegrityError';
  readonly code = 'storage.integrity';
  constructor(
    readonly key: string,
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(`blob ${key} failed its integrity check (${reason})`, options);
  }
}

/** An encrypted object names a key id that is not configured (the key itself is never shown). */
export class EncryptionKeyUnknownError extends ProjectError {
  override readonly name = 'EncryptionKeyUnknownError';
  readonly code = 'storage.key_unknown';
  constructor(
    readonly key: string,
    readonly keyId: string,
  ) {
    super(`blob ${key} is encrypted with key id "${keyId}", which is not configured`);
  }
}

/**
 * A start-up probe found a backend setting that cannot work: the bucket or container does not
 * exist, the credentials are refused, or the endpoint cannot be reached. `setting` is the
 * backend option at fault (compose-storage.ts turns it into the variable or JSON path the
 * operator wrote); the message never carries a credential or URL.
 */
export class StorageSettingError extends ProjectError {
  override readonly name = 'StorageSettingError';
  readonly code = 'storage.setting';
  constructor(
    readonly setting: StorageSetting,
    problem: string,
    options?: ErrorOptions,
  ) {
    super(problem, options);
  }
}

export type StorageSetting =
  'bucket' | 'region' | 'endpoint' | 'credentials' | 'container' | 'connection';

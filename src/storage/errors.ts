/**
 * Storage errors. Stable `code`s; messages name keys (opaque, PHI-free), never DICOM values.
 * HTTP mapping lives only in web/problem.ts.
 */
export abstract class StorageError extends Error {
  abstract readonly code: string;
}

export class BlobNotFoundError extends StorageError {
  override readonly name = 'BlobNotFoundError';
  readonly code = 'storage.blob_not_found';
  constructor(
    readonly key: string,
    options?: ErrorOptions,
  ) {
    super(`blob ${key} not found`, options);
  }
}

export class BlobExistsError extends StorageError {
  override readonly name = 'BlobExistsError';
  readonly code = 'storage.blob_exists';
  constructor(
    readonly key: string,
    options?: ErrorOptions,
  ) {
    super(`blob ${key} already exists; keys are never overwritten`, options);
  }
}

export class InvalidBlobKeyError extends StorageError {
  override readonly name = 'InvalidBlobKeyError';
  readonly code = 'storage.invalid_key';
  constructor(reason: string) {
    super(`invalid blob key: ${reason}`);
  }
}

export class BlobRangeError extends StorageError {
  override readonly name = 'BlobRangeError';
  readonly code = 'storage.range_not_satisfiable';
  constructor(
    readonly key: string,
    readonly size: number,
  ) {
    super(`range outside blob ${key} of ${size} bytes`);
  }
}

export class StorageUnavailableError extends StorageError {
  override readonly name = 'StorageUnavailableError';
  readonly code = 'storage.unavailable';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/** The device or quota is full (ENOSPC, EDQUOT); retrying later or elsewhere may succeed. */
export class StorageFullError extends StorageError {
  override readonly name = 'StorageFullError';
  readonly code = 'storage.full';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/** The caller's signal aborted the operation; `cause` is the signal's reason. */
export class StorageAbortedError extends StorageError {
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
export class BlobBodyError extends StorageError {
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

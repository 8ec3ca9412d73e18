import { isProjectError } from '../lib/errors.js';
import type { BlobKey } from './blob-store.js';
import { InvalidBlobKeyError, StorageFullError, StorageUnavailableError } from './errors.js';

/** Runs one fs call, turning its failure into ours (see `fsFailure`). */
export async function fsStep<T>(action: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    throw fsFailure(error, action);
  }
}

export function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** ENOENT, or ENOTDIR: a path segment is a file, so nothing exists below it. */
export function missing(error: unknown): boolean {
  const code = errorCode(error);
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/**
 * errno codes that mean "no room for these bytes" (POSIX write(2), link(2), mkdir(2), fsync(2)):
 * the device is full, the user's quota is spent, or the file would pass the size limit of the
 * filesystem or process. Retrying later or elsewhere may succeed; the request was not at fault.
 */
const OUT_OF_SPACE = new Set(['ENOSPC', 'EDQUOT', 'EFBIG']);

/** True for a raw fs error of a full device, quota or file size limit. */
export function isOutOfSpace(error: unknown): boolean {
  const code = errorCode(error);
  return code !== undefined && OUT_OF_SPACE.has(code);
}

/** Foreign fs errors → ours: a full device or quota is `StorageFullError`, the rest unavailable. */
export function fsFailure(error: unknown, action: string): Error {
  if (isProjectError(error)) return error;
  const code = errorCode(error) ?? 'unknown';
  if (OUT_OF_SPACE.has(code)) {
    return new StorageFullError(`${action}: no space left (${code})`, { cause: error });
  }
  return new StorageUnavailableError(`${action} failed (${code})`, { cause: error });
}

export function keyIsPrefix(key: BlobKey): InvalidBlobKeyError {
  return new InvalidBlobKeyError(`${key} is a directory of other keys in the fs store`);
}

export function parentIsBlob(key: BlobKey): InvalidBlobKeyError {
  return new InvalidBlobKeyError(`a parent segment of ${key} is a blob in the fs store`);
}

import { isProjectError } from '../lib/errors.js';
import type { BlobKey } from './blob-store.js';
import type { RemoteErrors } from './remote-blob-store.js';
import { BlobNotFoundError, StorageAbortedError, StorageUnavailableError } from './errors.js';

/** What @azure/storage-blob's RestError looks like, as far as we read it. */
interface AzureErrorShape {
  name?: string;
  code?: string;
  statusCode?: number;
  details?: { errorCode?: string };
}

export function azureErrorCode(error: unknown): string {
  const e = (error ?? {}) as AzureErrorShape;
  return e.details?.errorCode ?? e.code ?? e.name ?? 'Error';
}

export function azureStatus(error: unknown): number | undefined {
  return (error as AzureErrorShape | undefined)?.statusCode;
}

export function isAzureNotFound(error: unknown): boolean {
  return azureStatus(error) === 404 && azureErrorCode(error) !== 'ContainerNotFound';
}

/** 416 InvalidRange: the offset is at or past the blob's end. */
export function isAzureInvalidRange(error: unknown): boolean {
  return azureStatus(error) === 416 || azureErrorCode(error) === 'InvalidRange';
}

/**
 * The commit lost against an existing blob: `If-None-Match: *` answers 409 BlobAlreadyExists
 * (or 412 ConditionNotMet on some versions and azurite).
 */
export function isAzureKeyTaken(error: unknown): boolean {
  const code = azureErrorCode(error);
  return code === 'BlobAlreadyExists' || code === 'ConditionNotMet' || azureStatus(error) === 412;
}

/** Reading a blob in the Archive tier: 409 BlobArchived. */
export function isAzureArchived(error: unknown): boolean {
  return azureErrorCode(error) === 'BlobArchived';
}

/** Everything else: ours when it is one, else unavailable with the SDK error as cause. */
export function mapAzureError(key: BlobKey, operation: string, error: unknown): Error {
  // Already ours (e.g. the container creation that preceded the operation failed): keep it.
  if (isProjectError(error)) return error;
  if (isAzureNotFound(error)) return new BlobNotFoundError(key, { cause: error });
  if ((error as { name?: string } | undefined)?.name === 'AbortError') {
    return new StorageAbortedError(key, { cause: error });
  }
  const status = azureStatus(error);
  const code = azureErrorCode(error);
  const detail = status !== undefined ? `${code}, HTTP ${status}` : code;
  return new StorageUnavailableError(`azure ${operation} of blob ${key} failed (${detail})`, {
    cause: error,
  });
}

/** The Azure reading of the failures the remote-store core tells apart. */
export const azureErrors: RemoteErrors = {
  backend: 'azure',
  isKeyTaken: isAzureKeyTaken,
  isInvalidRange: isAzureInvalidRange,
  isArchived: isAzureArchived,
  map: mapAzureError,
};

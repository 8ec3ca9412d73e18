/**
 * Every error code of this project, the one base class of its errors, and lib/'s own errors.
 * Codes are stable and shaped `module.name`; HTTP mapping lives only in web/problem.ts, whose
 * table is typed by this list, so a code added here without a status there does not compile.
 *
 * The list holds strings only, so lib/ still imports nothing of ours; each module keeps its
 * classes in its own errors.ts. dicom/ imports nothing of ours, not even lib/: it declares its
 * codes in `DICOM_ERROR_CODES` (dicom/errors.ts) and web/problem.ts joins the two lists.
 */
export const ERROR_CODES = [
  // lib/
  'lib.size_limit_exceeded',
  'lib.directory_locked',
  // config.ts
  'config.invalid',
  // imaging/
  'imaging.not_an_image',
  'imaging.decode_failed',
  'imaging.too_large',
  'imaging.bad_parameter',
  'imaging.busy',
  // storage/
  'storage.blob_not_found',
  'storage.blob_exists',
  'storage.invalid_key',
  'storage.range_not_satisfiable',
  'storage.unavailable',
  'storage.full',
  'storage.aborted',
  'storage.body_failed',
  'storage.offline',
  'storage.integrity',
  'storage.key_unknown',
  'storage.setting',
  // index/
  'index.unavailable',
  'index.disk_full',
  'index.refused',
  'index.aborted',
  'qido.bad_parameter',
  'qido.unknown_attribute',
  // services/
  'service.not_found',
  'service.invalid_uid',
  'service.invalid_frame_list',
  'service.frame_not_found',
  'service.frame_not_stored',
  'service.no_pixel_data',
  'service.bulk_data_not_found',
  'service.stored_layout',
  'service.not_acceptable',
  'service.range_not_satisfiable',
  'hsm.verify_mismatch',
  // web/
  'web.bad_request',
  'web.bad_media_type',
  'web.unsupported_media_type',
  'web.request_idle',
  'web.uploads_busy',
  'web.client_uploads_busy',
  'web.no_route',
  'multipart.no_parts',
  'multipart.truncated',
  'multipart.bad_headers',
  'multipart.too_many_parts',
  'multipart.bad_boundary',
  // auth/ (authentication, authorization, rate limits)
  'auth.unauthenticated',
  'auth.invalid_token',
  'auth.forbidden',
  'auth.rate_limited',
  'auth.invalid_grant',
  'auth.invalid_request',
  // audit/
  'audit.unavailable',
] as const;

/** A code of any module but dicom/ (whose codes are `DicomErrorCode`). */
export type ErrorCode = (typeof ERROR_CODES)[number];

/**
 * The base of every error class of this project but dicom/'s (whose `DicomError` has the same
 * shape). `code` must be one of ERROR_CODES: a class with a code that is not listed does not
 * compile. Subclasses set `name` to their class name, which the logs show.
 */
export abstract class ProjectError extends Error {
  abstract readonly code: ErrorCode;
}

/** A byte counter saw more than `limit` bytes; the stream it sat in was destroyed with this. */
export class SizeLimitExceededError extends ProjectError {
  override readonly name = 'SizeLimitExceededError';
  readonly code = 'lib.size_limit_exceeded';
  constructor(readonly limit: number) {
    super(`stream exceeded the limit of ${limit} bytes`);
  }
}

/**
 * True for errors of this project: every module's errors carry a `code` shaped `module.name`
 * (`storage.blob_exists`, `lib.size_limit_exceeded`). Node's own codes (`ECONNRESET`,
 * `ERR_STREAM_PREMATURE_CLOSE`) and SDK codes have no dot, so they count as foreign. Lets a
 * module pass our errors through unchanged while wrapping foreign ones, without importing the
 * other modules' error classes (which the dependency rule forbids). Structural rather than
 * `instanceof ProjectError` so that dicom/'s errors, which cannot extend ProjectError, count too.
 */
export function isProjectError(error: unknown): error is Error & { code: string } {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && PROJECT_CODE.test(code);
}

const PROJECT_CODE = /^[a-z][a-z0-9]*\.[a-z][a-z0-9_]*$/;

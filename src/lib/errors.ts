/**
 * Errors of lib/. Stable `code`s in the project-wide `module.name` shape; HTTP mapping lives only
 * in web/problem.ts.
 */
export abstract class LibError extends Error {
  abstract readonly code: string;
}

/** A byte counter saw more than `limit` bytes; the stream it sat in was destroyed with this. */
export class SizeLimitExceededError extends LibError {
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
 * other modules' error classes (which the dependency rule forbids).
 */
export function isProjectError(error: unknown): error is Error & { code: string } {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && PROJECT_CODE.test(code);
}

const PROJECT_CODE = /^[a-z][a-z0-9]*\.[a-z][a-z0-9_]*$/;

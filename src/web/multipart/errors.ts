import { ProjectError } from '../../lib/errors.js';

/**
 * Multipart reader errors (RFC 2046 §5.1, RFC 2387, RFC 7578). Stable `code`s; messages say what
 * went wrong and in which part (0-based index), never header values or part bytes.
 * HTTP mapping lives only in web/problem.ts.
 */

/** No boundary delimiter anywhere in the body, an empty body, or a body with no part at all. */
export class NoPartsError extends ProjectError {
  override readonly name = 'NoPartsError';
  readonly code = 'multipart.no_parts';
  constructor(message = 'multipart body has no parts: no boundary delimiter found') {
    super(message);
  }
}

/** The body ended (or its source failed to deliver the rest) before the close delimiter. */
export class TruncatedMultipartError extends ProjectError {
  override readonly name = 'TruncatedMultipartError';
  readonly code = 'multipart.truncated';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/** A part's header block is larger than the limit, or is not a header block at all. */
export class BadPartHeadersError extends ProjectError {
  override readonly name = 'BadPartHeadersError';
  readonly code = 'multipart.bad_headers';
  constructor(
    readonly partIndex: number,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** The body holds more parts than the reader was told to accept. */
export class TooManyPartsError extends ProjectError {
  override readonly name = 'TooManyPartsError';
  readonly code = 'multipart.too_many_parts';
  constructor(readonly maxParts: number) {
    super(`multipart body has more than ${maxParts} parts`);
  }
}

/**
 * The boundary parameter is missing or unusable (RFC 2046 §5.1.1: 1 to 70 characters; we accept
 * up to 200 printable ASCII characters, as some clients exceed the limit).
 */
export class InvalidBoundaryError extends ProjectError {
  override readonly name = 'InvalidBoundaryError';
  readonly code = 'multipart.bad_boundary';
  constructor(reason: string) {
    super(`invalid multipart boundary: ${reason}`);
  }
}

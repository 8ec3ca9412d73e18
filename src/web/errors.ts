/** Request-level errors raised by the web layer itself; mapped in web/problem.ts. */
export abstract class WebError extends Error {
  abstract readonly code: string;
}

export class UnsupportedMediaTypeError extends WebError {
  override readonly name = 'UnsupportedMediaTypeError';
  readonly code = 'web.unsupported_media_type';
  constructor(detail: string) {
    super(detail);
  }
}

export class BadRequestError extends WebError {
  override readonly name = 'BadRequestError';
  readonly code = 'web.bad_request';
  constructor(detail: string) {
    super(detail);
  }
}

import { ProjectError } from '../lib/errors.js';

/** Request-level errors raised by the web layer itself; mapped in web/problem.ts. */

export class UnsupportedMediaTypeError extends ProjectError {
  override readonly name = 'UnsupportedMediaTypeError';
  readonly code = 'web.unsupported_media_type';
  constructor(detail: string) {
    super(detail);
  }
}

export class BadRequestError extends ProjectError {
  override readonly name = 'BadRequestError';
  readonly code = 'web.bad_request';
  constructor(detail: string) {
    super(detail);
  }
}

/**
 * The client sent no byte of the request body for the idle period (a stalled upload). The body
 * stream is failed with this, so the handler abandons the part in flight as for a hang-up.
 */
export class RequestIdleError extends ProjectError {
  override readonly name = 'RequestIdleError';
  readonly code = 'web.request_idle';
  constructor(readonly idleSeconds: number) {
    super(`no request body bytes arrived for ${idleSeconds} s`);
  }
}

/** Every upload slot of the server is taken; refused before the body is read. */
export class UploadsBusyError extends ProjectError {
  override readonly name = 'UploadsBusyError';
  readonly code = 'web.uploads_busy';
  constructor(
    limit: number,
    readonly retryAfterSeconds: number,
  ) {
    super(`the server already receives ${limit} uploads; retry later`);
  }
}

/** This client address already holds its share of upload slots; refused before the body is read. */
export class ClientUploadsBusyError extends ProjectError {
  override readonly name = 'ClientUploadsBusyError';
  readonly code = 'web.client_uploads_busy';
  constructor(
    limit: number,
    readonly retryAfterSeconds: number,
  ) {
    super(`this client already sends ${limit} uploads at once; retry when one finishes`);
  }
}

/** No route matches the method and path (hono's notFound): answered through web/problem.ts. */
export class RouteNotFoundError extends ProjectError {
  override readonly name = 'RouteNotFoundError';
  readonly code = 'web.no_route';
  constructor(method: string) {
    super(`no resource matches ${method} on this path`);
  }
}

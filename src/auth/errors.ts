import { ProjectError } from '../lib/errors.js';

/**
 * Authentication and authorization failures. Messages never echo a token, a key or a password,
 * and say no more than the client needs (a bad signature and an unknown key read the same).
 */

/** No credentials, and anonymous access does not allow the action (401). */
export class UnauthenticatedError extends ProjectError {
  override readonly name = 'UnauthenticatedError';
  readonly code = 'auth.unauthenticated';
  /** RFC 6750 §3: the scheme to use, without an error code (no credentials were sent). */
  readonly wwwAuthenticate = 'Bearer realm="strata"';
  constructor() {
    super('this request needs credentials: Authorization: Bearer <token or API key>');
  }
}

/** Credentials were sent and are not valid: bad signature, expired, wrong audience, revoked (401). */
export class InvalidTokenError extends ProjectError {
  override readonly name = 'InvalidTokenError';
  readonly code = 'auth.invalid_token';
  readonly wwwAuthenticate: string;
  /** Why, for the audit trail and the debug log; never sent to the client beyond `message`. */
  readonly reason: string;
  constructor(reason: string, message = 'the access token or API key is not valid') {
    super(message);
    this.reason = reason;
    this.wwwAuthenticate = `Bearer realm="strata", error="invalid_token", error_description="${message.replace(/"/g, "'")}"`;
  }
}

/** Authenticated, but no role grants the action the route needs (403). */
export class ForbiddenError extends ProjectError {
  override readonly name = 'ForbiddenError';
  readonly code = 'auth.forbidden';
  constructor(action: string) {
    super(`the caller's roles do not allow "${action}"`);
  }
}

/** Too many attempts or requests; come back after `retryAfterSeconds` (429). */
export class RateLimitedError extends ProjectError {
  override readonly name: string = 'RateLimitedError';
  readonly code = 'auth.rate_limited';
  constructor(
    readonly retryAfterSeconds: number,
    what = 'requests',
  ) {
    super(`too many ${what}; retry after ${Math.ceil(retryAfterSeconds)} s`);
  }
}

/**
 * An account locked after repeated failed sign-ins (429 like any rate limit); the audit trail
 * records it as a Security Alert as well.
 */
export class AccountLockedError extends RateLimitedError {
  override readonly name = 'AccountLockedError';
  constructor(retryAfterSeconds: number) {
    super(retryAfterSeconds, 'failed sign-ins for this account');
  }
}

/** RFC 6749 §5.2 invalid_grant: wrong password, code or refresh token, disabled account (400). */
export class InvalidGrantError extends ProjectError {
  override readonly name = 'InvalidGrantError';
  readonly code = 'auth.invalid_grant';
  constructor(message = 'the credentials are not valid') {
    super(message);
  }
}

/** RFC 6749 §5.2 invalid_request: a malformed token request (400). */
export class InvalidAuthRequestError extends ProjectError {
  override readonly name = 'InvalidAuthRequestError';
  readonly code = 'auth.invalid_request';
}

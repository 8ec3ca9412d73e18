import type { Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { AccountService, SignedIn } from '../auth/accounts.js';
import {
  AccountLockedError,
  InvalidAuthRequestError,
  InvalidGrantError,
  RateLimitedError,
} from '../auth/errors.js';
import type { RateLimiter } from '../auth/rate-limiter.js';
import type { TokenGrant } from '../auth/local-tokens.js';
import type { AuditSink } from '../audit/event.js';
import type { RouteTable } from './access.js';
import { clientAddressOf } from './client-address.js';

/**
 * POST /auth/token: the OAuth 2.0 token endpoint of built-in accounts (RFC 6749 §3.2), outside
 * the DICOMweb root. Two grants: `password` (§4.3; with `totp` for accounts that have a second
 * factor) and `refresh_token` (§6). Failures are problem+json answers through web/problem.ts:
 * auth.invalid_grant and auth.invalid_request 400, auth.rate_limited 429 with Retry-After.
 *
 * Each password grant's outcome is recorded to the audit trail (PS3.15 A.5.3.11 User
 * Authentication, EventTypeCode Login): success with the account's name and roles, a refused
 * one (invalid_grant, rate limited or locked) as a minor failure with the name as sent. The
 * token is answered only once its record is durable; a record that cannot be written fails the
 * request (503) like any other.
 */

export interface TokenEndpointOptions {
  accounts: Pick<AccountService, 'signIn' | 'refresh'>;
  /** RATE_LIMIT_LOGIN_PER_MINUTE, counted per client address on password grants. */
  loginLimiter: RateLimiter;
  /**
   * Who is asking, for the per-address limit and the audit trail; default: the client address
   * after trusted proxies (web/client-address.ts).
   */
  clientAddress?: (c: Context) => string;
}

/** A token request is a few short fields; anything bigger is not one. */
const MAX_BODY_BYTES = 8 * 1024;
const FORM = 'application/x-www-form-urlencoded';

export function registerTokenRoutes(
  table: RouteTable,
  options: TokenEndpointOptions,
  audit?: AuditSink,
): void {
  const clientAddress = options.clientAddress ?? clientAddressOf;
  const limit = bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: () => {
      throw new InvalidAuthRequestError(`a token request has at most ${MAX_BODY_BYTES} bytes`);
    },
  });
  table.add('post', '/auth/token', 'public', limit, async (c) => {
    const form = await readForm(c);
    const grantType = form.get('grant_type');
    let grant: TokenGrant;
    if (grantType === 'password') {
      grant = await recorded(c, form.get('username'), async () => {
        // Refresh grants are not counted: their tokens are 256-bit random, nothing to guess,
        // and a clinic's many sessions behind one address would otherwise crowd out sign-ins.
        const admission = options.loginLimiter.take(clientAddress(c));
        if (!admission.admitted) {
          throw new RateLimitedError(
            admission.retryAfterSeconds,
            'sign-in attempts from this address',
          );
        }
        return options.accounts.signIn(
          required(form, 'username'),
          required(form, 'password'),
          form.get('totp') ?? undefined,
        );
      });
    } else if (grantType === 'refresh_token') {
      grant = await options.accounts.refresh(required(form, 'refresh_token'));
    } else {
      throw new InvalidAuthRequestError(
        grantType === null
          ? 'grant_type is missing ("password" or "refresh_token")'
          : 'grant_type must be "password" or "refresh_token"',
      );
    }
    // RFC 6749 §5.1: the answer holds credentials and must not be stored by any cache.
    return c.json(
      {
        access_token: grant.accessToken,
        token_type: grant.tokenType,
        expires_in: grant.expiresIn,
        refresh_token: grant.refreshToken,
      },
      200,
      { 'Cache-Control': 'no-store', Pragma: 'no-cache' },
    );
  });

  /** Runs a password grant and records its outcome (a malformed request is no attempt). */
  async function recorded(
    c: Context,
    username: string | null,
    signIn: () => Promise<SignedIn>,
  ): Promise<SignedIn> {
    const common = {
      type: 'user-authentication',
      subtype: 'login',
      action: 'E',
      clientAddress: clientAddress(c),
      requestId: c.get('requestId' as never) as string | undefined,
    } as const;
    let signedIn: SignedIn;
    try {
      signedIn = await signIn();
    } catch (error) {
      const reason = refusalReason(error);
      if (audit && reason !== undefined) {
        await audit.record({
          ...common,
          outcome: 4,
          // Names are compared in lower case; a name that is no account is recorded all the same.
          user: username ? { id: username.toLowerCase(), method: 'account', roles: [] } : undefined,
          detail: { reason },
        });
        // Repeated failures that locked the account: PS3.15 A.5.3.11 Security Alert.
        if (reason === 'account-locked') {
          await audit.record({
            ...common,
            type: 'security-alert',
            subtype: 'user-security-attributes-changed',
            outcome: 4,
            user: username
              ? { id: username.toLowerCase(), method: 'account', roles: [] }
              : undefined,
            detail: { reason },
          });
        }
      }
      throw error;
    }
    await audit?.record({
      ...common,
      outcome: 0,
      user: { id: signedIn.account.username, method: 'account', roles: signedIn.account.roles },
    });
    return signedIn;
  }
}

/** Why a sign-in was refused, for the audit trail; undefined when it was no sign-in attempt. */
function refusalReason(error: unknown): string | undefined {
  if (error instanceof InvalidGrantError) return 'invalid-grant';
  if (error instanceof AccountLockedError) return 'account-locked';
  if (error instanceof RateLimitedError) return 'rate-limited';
  return undefined;
}

/** RFC 6749 §3.2: form-encoded body; §3.1: a parameter sent twice makes the request invalid. */
async function readForm(c: Context): Promise<URLSearchParams> {
  const type = c.req.header('Content-Type')?.split(';')[0]?.trim().toLowerCase();
  if (type !== FORM) {
    throw new InvalidAuthRequestError(`a token request is sent as ${FORM} (RFC 6749 §4.3.2)`);
  }
  const form = new URLSearchParams(await c.req.text());
  const seen = new Set<string>();
  for (const key of form.keys()) {
    if (seen.has(key)) throw new InvalidAuthRequestError(`"${key}" is given more than once`);
    seen.add(key);
  }
  return form;
}

function required(form: URLSearchParams, name: string): string {
  const value = form.get(name);
  if (value === null || value === '') throw new InvalidAuthRequestError(`"${name}" is missing`);
  return value;
}

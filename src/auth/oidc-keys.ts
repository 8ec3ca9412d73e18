import {
  createLocalJWKSet,
  createRemoteJWKSet,
  errors,
  type JSONWebKeySet,
  type JWTVerifyGetKey,
} from 'jose';

/**
 * Where an OIDC provider's signing keys come from: its discovery document, then its JWKS,
 * cached. The provider is someone else's server; none of this may turn its outage into ours.
 */

/** The provider could not be used: unreachable, timed out, or answered something unusable. */
export class IdpUnavailableError extends Error {
  override readonly name = 'IdpUnavailableError';
  constructor(
    /** `idp-unreachable` (network, timeout, HTTP status) or `idp-misconfigured` (content). */
    readonly reason: 'idp-unreachable' | 'idp-misconfigured',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * OpenID Connect Discovery 1.0 §4: the configuration lives at the issuer with
 * `/.well-known/openid-configuration` appended, any terminating `/` of the issuer removed first.
 */
export function discoveryUrl(issuer: string): URL {
  return new URL(`${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`);
}

/**
 * The provider's `jwks_uri`. §4.3: the document's `issuer` MUST be identical to the issuer the
 * configuration was fetched for, or the document must not be used (it could be another
 * tenant's, or an attacker's behind a redirect). Redirects are not followed for the same reason.
 */
export async function discoverJwksUri(issuer: string, timeoutMs: number): Promise<URL> {
  const url = discoveryUrl(issuer);
  let response: Response;
  try {
    response = await fetch(url, {
      redirect: 'manual',
      headers: { accept: 'application/json' },
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (cause) {
    throw new IdpUnavailableError('idp-unreachable', 'OIDC discovery request failed', { cause });
  }
  if (response.status !== 200) {
    await response.body?.cancel();
    throw new IdpUnavailableError(
      'idp-unreachable',
      `OIDC discovery answered HTTP ${response.status}`,
    );
  }
  let document: unknown;
  try {
    document = await response.json();
  } catch (cause) {
    throw new IdpUnavailableError('idp-misconfigured', 'OIDC discovery is not JSON', { cause });
  }
  const fields = (typeof document === 'object' && document !== null ? document : {}) as Record<
    string,
    unknown
  >;
  if (fields['issuer'] !== issuer) {
    throw new IdpUnavailableError(
      'idp-misconfigured',
      'OIDC discovery names another issuer than AUTH_OIDC_ISSUER (OIDC Discovery §4.3)',
    );
  }
  const jwksUri = absoluteUrl(fields['jwks_uri']);
  // Keys fetched over plain HTTP could be swapped on the way; only a plain-HTTP issuer (a test
  // or a provider on the same host) may name a plain-HTTP JWKS.
  const allowed = url.protocol === 'https:' ? ['https:'] : ['https:', 'http:'];
  if (!jwksUri || !allowed.includes(jwksUri.protocol)) {
    throw new IdpUnavailableError('idp-misconfigured', 'OIDC discovery has no usable jwks_uri');
  }
  return jwksUri;
}

function absoluteUrl(value: unknown): URL | undefined {
  if (typeof value !== 'string') return undefined;
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

export interface KeySetOptions {
  /** An unknown `kid` refetches the JWKS at most once per this long. */
  cooldownMs: number;
  /** Keys older than this are refreshed before use. */
  cacheMaxAgeMs: number;
  timeoutMs: number;
  /** A refresh failed and cached keys were there to fall back to (at most once per cooldown). */
  onRefreshFailed?: ((error: unknown) => void) | undefined;
}

/**
 * jose's remote JWKS (one fetch per cooldown for unknown `kid`s, concurrent fetches shared), made
 * to survive the provider's outage: once its cache is older than `cacheMaxAge`, jose refetches
 * before every use and rejects the token when that fetch fails, so an IdP restart would lock
 * everyone out. Here a failed refresh falls back to the last key set that was fetched, and for
 * one cooldown after a failure the remote is not asked again (no request waits for a timeout
 * that is known to come, and a `kid` storm during an outage fetches nothing).
 *
 * Errors: JWKSNoMatchingKey, JWKSMultipleMatchingKeys, JOSENotSupported and JWKInvalid pass
 * through (they are about the token or its key);
 * anything else the remote throws becomes IdpUnavailableError when there is no key set to fall
 * back to.
 */
export function resilientKeySet(jwksUri: URL, options: KeySetOptions): JWTVerifyGetKey {
  const remote = createRemoteJWKSet(jwksUri, {
    cooldownDuration: options.cooldownMs,
    cacheMaxAge: options.cacheMaxAgeMs,
    timeoutDuration: options.timeoutMs,
  });
  let failedAt = Number.NEGATIVE_INFINITY;
  let fallback: ReturnType<typeof createLocalJWKSet> | undefined;

  const useFallback = (): ReturnType<typeof createLocalJWKSet> | undefined => {
    // The remote keeps its last good set when a refresh fails; a local copy is made once per
    // failure so imported keys are reused while the outage lasts.
    if (!fallback) {
      const last: JSONWebKeySet | undefined = remote.jwks();
      if (last) fallback = createLocalJWKSet(last);
    }
    return fallback;
  };

  return async (header, token) => {
    if (Date.now() < failedAt + options.cooldownMs) {
      const local = useFallback();
      if (local) return local(header, token);
    }
    try {
      const key = await remote(header, token);
      fallback = undefined;
      return key;
    } catch (error) {
      // About the token or the one key it names, not the provider's health.
      if (
        error instanceof errors.JWKSNoMatchingKey ||
        error instanceof errors.JWKSMultipleMatchingKeys ||
        error instanceof errors.JOSENotSupported ||
        error instanceof errors.JWKInvalid
      ) {
        throw error;
      }
      failedAt = Date.now();
      fallback = undefined;
      const local = useFallback();
      if (local) {
        options.onRefreshFailed?.(error);
        return local(header, token);
      }
      throw new IdpUnavailableError('idp-unreachable', 'the JWKS could not be fetched', {
        cause: error,
      });
    }
  };
}

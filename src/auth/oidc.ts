import { decodeProtectedHeader, errors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import type { Logger } from '../lib/log.js';
import type { BearerVerifier } from './authenticate.js';
import { InvalidTokenError } from './errors.js';
import { discoverJwksUri, IdpUnavailableError, resilientKeySet } from './oidc-keys.js';

/**
 * Bearer access tokens from an OpenID Connect provider (Keycloak, Entra ID, Auth0, …): a JWS
 * signed with one of the provider's published keys (RFC 7519, RFC 9068), for our audience.
 */

export interface OidcVerifierOptions {
  /** Exact `iss` of the tokens, and where discovery starts (AUTH_OIDC_ISSUER). */
  issuer: string;
  /** Required in `aud` (AUTH_OIDC_AUDIENCE). */
  audience: string;
  /** Accepted `alg` values; `none` and `HS*` are dropped even when listed. */
  algorithms: readonly string[];
  clockToleranceSeconds: number;
  /** An unknown `kid` refetches the JWKS at most once per this many seconds. */
  jwksCooldownSeconds: number;
  /** Keys are refreshed after this long; the last good keys serve while a refresh fails. */
  jwksCacheSeconds: number;
  /** Per request to the provider (discovery, JWKS). Default 5000. */
  fetchTimeoutMs?: number | undefined;
  log?: Logger | undefined;
}

/**
 * `none` carries no signature; `HS*` would verify with a shared secret, and a verifier that takes
 * its key from a JWKS must never treat a public key's bytes as one (the RS256→HS256 confusion).
 */
export function isRefusedAlgorithm(alg: string): boolean {
  return alg.toLowerCase() === 'none' || alg.toUpperCase().startsWith('HS');
}

/**
 * RFC 9068 §2.1 names `at+jwt` for access tokens; most providers still send `JWT`. The header is
 * optional (RFC 7519 §5.1); when present, "application/" may prefix it (RFC 7515 §4.1.9). Any
 * other type (an ID token of a logout, a DPoP proof) is not an access token.
 */
function isAccessTokenType(typ: unknown): boolean {
  if (typ === undefined) return true;
  if (typeof typ !== 'string') return false;
  const type = typ.toLowerCase().replace(/^application\//, '');
  return type === 'jwt' || type === 'at+jwt';
}

const IDP_MESSAGE = 'the identity provider could not be reached to verify the token; try again';

/**
 * Discovery and keys are fetched on the first token, not at start-up: a provider that is down
 * must not keep the server from starting (API keys and accounts still work), and a failed
 * discovery is tried again by the next token.
 */
export function createOidcVerifier(options: OidcVerifierOptions): BearerVerifier {
  const algorithms = options.algorithms.filter((alg) => !isRefusedAlgorithm(alg));
  if (algorithms.length === 0) throw new Error('no asymmetric signature algorithm is allowed');
  const timeoutMs = options.fetchTimeoutMs ?? 5000;
  const log = options.log;
  let keys: Promise<JWTVerifyGetKey> | undefined;
  let discoveryFailing = false;

  const keySet = (): Promise<JWTVerifyGetKey> => {
    // Concurrent first tokens share one discovery; a failed one is forgotten so the next token
    // tries again.
    keys ??= discoverJwksUri(options.issuer, timeoutMs).then(
      (jwksUri) => {
        if (discoveryFailing) log?.info('OIDC discovery succeeded again');
        discoveryFailing = false;
        return resilientKeySet(jwksUri, {
          cooldownMs: options.jwksCooldownSeconds * 1000,
          cacheMaxAgeMs: options.jwksCacheSeconds * 1000,
          timeoutMs,
          onRefreshFailed: (error) =>
            log?.warn('OIDC JWKS refresh failed; the cached keys stay in use', { error }),
        });
      },
      (error: unknown) => {
        keys = undefined;
        // Warn once per outage, not once per token.
        const fields = {
          error,
          detail: error instanceof IdpUnavailableError ? error.message : undefined,
        };
        if (discoveryFailing) log?.debug('OIDC discovery failed', fields);
        else log?.warn('OIDC discovery failed', fields);
        discoveryFailing = true;
        throw error;
      },
    );
    return keys;
  };

  const verifyOptions = {
    issuer: options.issuer,
    audience: options.audience,
    algorithms,
    clockTolerance: options.clockToleranceSeconds,
    // A token without `exp` would be valid forever once leaked.
    requiredClaims: ['exp'],
  };

  return {
    async verify(token) {
      let header;
      try {
        header = decodeProtectedHeader(token);
      } catch {
        throw new InvalidTokenError('malformed');
      }
      // Checked before any key is looked up, so a refused token costs no request to the provider.
      if (typeof header.alg !== 'string' || !algorithms.includes(header.alg)) {
        throw new InvalidTokenError('alg-not-allowed');
      }
      if (!isAccessTokenType(header.typ)) throw new InvalidTokenError('bad-typ');
      try {
        const getKey = await keySet();
        return await verifyWithKeys(token, getKey, verifyOptions);
      } catch (error) {
        throw invalidTokenOf(error);
      }
    },
  };
}

type VerifyOptions = Parameters<typeof jwtVerify>[2];

/**
 * jose leaves a token without `kid` that matches several keys of the set to the caller: each
 * candidate is tried, and the token is good if one of them verifies it.
 */
async function verifyWithKeys(
  token: string,
  getKey: JWTVerifyGetKey,
  options: VerifyOptions,
): Promise<Record<string, unknown>> {
  try {
    return (await jwtVerify(token, getKey, options)).payload;
  } catch (error) {
    if (!(error instanceof errors.JWKSMultipleMatchingKeys)) throw error;
    for await (const key of error) {
      try {
        return (await jwtVerify(token, key, options)).payload;
      } catch (next) {
        if (!(next instanceof errors.JWSSignatureVerificationFailed)) throw next;
      }
    }
    throw new errors.JWSSignatureVerificationFailed();
  }
}

/** jose's and our failures → InvalidTokenError with a reason; anything else is a bug (500). */
function invalidTokenOf(error: unknown): unknown {
  if (error instanceof IdpUnavailableError) return new InvalidTokenError(error.reason, IDP_MESSAGE);
  if (error instanceof errors.JWTExpired) {
    return new InvalidTokenError('expired', 'the access token has expired');
  }
  if (error instanceof errors.JWTClaimValidationFailed) {
    return new InvalidTokenError(CLAIM_REASONS[error.claim] ?? 'bad-claims');
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return new InvalidTokenError('bad-signature');
  }
  if (error instanceof errors.JWKSNoMatchingKey) return new InvalidTokenError('unknown-kid');
  if (error instanceof errors.JOSEAlgNotAllowed) return new InvalidTokenError('alg-not-allowed');
  // A key the provider published that cannot be used (a private key, an unsupported curve).
  if (error instanceof errors.JWKSInvalid || error instanceof errors.JWKInvalid) {
    return new InvalidTokenError('idp-misconfigured', IDP_MESSAGE);
  }
  if (error instanceof errors.JOSEError) return new InvalidTokenError('malformed');
  return error;
}

const CLAIM_REASONS: Record<string, string> = {
  exp: 'missing-exp',
  nbf: 'not-yet-valid',
  iat: 'not-yet-valid',
  aud: 'bad-audience',
  iss: 'bad-issuer',
};

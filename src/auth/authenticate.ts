import { createHash, timingSafeEqual } from 'node:crypto';
import { decodeJwt } from 'jose';
import { principalFromClaims, type ClaimMapping } from './claims.js';
import { InvalidTokenError } from './errors.js';
import { anonymous, type Action, type Principal } from './principal.js';

/** Verifies an OIDC bearer token (auth/oidc.ts): the claims, or InvalidTokenError. */
export interface BearerVerifier {
  verify(token: string): Promise<Record<string, unknown>>;
}

/** Verifies an API key (auth/api-keys.ts): its principal, or InvalidTokenError. */
export interface ApiKeyVerifier {
  verify(key: string): Promise<Principal>;
}

/** Verifies an access token issued by POST /auth/token (auth/local-tokens.ts). */
export interface LocalTokenVerifier {
  /** The `iss` of the tokens it issues; how a bearer JWT is routed to it. */
  readonly issuer: string;
  verify(token: string): Promise<Principal>;
}

/** API keys are told apart from JWTs by this prefix (auth/api-keys.ts makes them). */
export const API_KEY_PREFIX = 'strata_';

export interface AuthenticatorOptions {
  /** ADMIN_TOKEN: one way to hold the admin role (admin action only, no PHI access). */
  adminToken?: string | undefined;
  oidc?: BearerVerifier | undefined;
  apiKeys?: ApiKeyVerifier | undefined;
  accounts?: LocalTokenVerifier | undefined;
  claims: ClaimMapping;
  /** What a request without credentials may do (AUTH_ANONYMOUS, or all on a bare loopback). */
  anonymous: ReadonlySet<Action>;
}

/**
 * Who sent a request, from its `Authorization` header only (never a query parameter or a
 * cookie: tokens in URLs end up in logs and browser history). Undefined = no credentials;
 * credentials that are present but not valid throw InvalidTokenError, never fall back to
 * anonymous.
 */
export class Authenticator {
  private readonly adminTokenHash: Buffer | undefined;
  private readonly anonymousPrincipal: Principal | undefined;

  constructor(private readonly options: AuthenticatorOptions) {
    this.adminTokenHash = options.adminToken ? sha256(options.adminToken) : undefined;
    this.anonymousPrincipal = options.anonymous.size > 0 ? anonymous(options.anonymous) : undefined;
  }

  /** Whether any credential method is on (false: everyone is anonymous). */
  get enabled(): boolean {
    const o = this.options;
    return Boolean(o.adminToken || o.oidc || o.apiKeys || o.accounts);
  }

  async authenticate(authorization: string | undefined): Promise<Principal | undefined> {
    if (authorization === undefined || authorization.trim() === '') return this.anonymousPrincipal;
    const match = /^Bearer\s+([A-Za-z0-9\-._~+/]+=*)\s*$/i.exec(authorization);
    if (!match) throw new InvalidTokenError('malformed', 'expected Authorization: Bearer <token>');
    const token = match[1]!;

    // Hashing both sides gives equal lengths, so timingSafeEqual never leaks the token's length.
    if (this.adminTokenHash && timingSafeEqual(sha256(token), this.adminTokenHash)) {
      return { method: 'admin-token', id: 'admin-token', roles: ['admin'], actions: ADMIN_ONLY };
    }
    if (token.startsWith(API_KEY_PREFIX)) {
      if (!this.options.apiKeys) throw new InvalidTokenError('api-key-disabled');
      return this.options.apiKeys.verify(token);
    }
    const issuer = issuerOf(token);
    if (this.options.accounts && issuer === this.options.accounts.issuer) {
      return this.options.accounts.verify(token);
    }
    if (this.options.oidc) {
      return principalFromClaims(
        await this.options.oidc.verify(token),
        this.options.claims,
        'oidc',
      );
    }
    throw new InvalidTokenError('no-verifier');
  }
}

const ADMIN_ONLY: ReadonlySet<Action> = new Set<Action>(['admin']);

function sha256(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** The unverified `iss`, only to pick the verifier; the verifier checks everything. */
function issuerOf(token: string): string | undefined {
  try {
    const iss = decodeJwt(token).iss;
    return typeof iss === 'string' ? iss : undefined;
  } catch {
    throw new InvalidTokenError('malformed');
  }
}

import { isIP } from 'node:net';
import { ApiKeys } from './auth/api-keys.js';
import { Authenticator } from './auth/authenticate.js';
import { createOidcVerifier } from './auth/oidc.js';
import { AccountService } from './auth/accounts.js';
import { LocalTokens } from './auth/local-tokens.js';
import { RateLimiter } from './auth/rate-limiter.js';
import type { Action } from './auth/principal.js';
import { DEFAULT_ROLES, parseRoleMap, type RoleMap } from './auth/roles.js';
import type { Config } from './config/config.js';
import { ConfigError } from './config/errors.js';
import type { Database, Db } from './index/db.js';
import type { Logger } from './lib/log.js';
import type { TokenEndpointOptions } from './web/token.routes.js';

/**
 * The security half of the composition root: which credentials are accepted, what anonymous
 * requests may do, and the refusal to expose an unauthenticated server.
 */

/** Every action but admin: what AUTH_ANONYMOUS=all and a bare loopback server allow. */
const ALL_BUT_ADMIN: ReadonlySet<Action> = new Set<Action>(['read', 'write', 'delete']);

const ANONYMOUS: Record<NonNullable<Config['auth']['anonymous']>, ReadonlySet<Action>> = {
  none: new Set(),
  read: new Set<Action>(['read']),
  write: new Set<Action>(['read', 'write']),
  all: ALL_BUT_ADMIN,
};

export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1' || host === '0:0:0:0:0:0:0:1';
}

/**
 * What a request without credentials may do. With no AUTH_METHODS and no AUTH_ANONYMOUS, a
 * loopback listener (the embedded default) is open to its own machine; any other address
 * refuses to start (exit 2), naming what to set.
 */
export function anonymousActions(config: Config): ReadonlySet<Action> {
  if (config.auth.anonymous !== undefined) return ANONYMOUS[config.auth.anonymous];
  if (config.auth.methods.length > 0) return ANONYMOUS.none;
  if (isLoopback(config.host)) return ALL_BUT_ADMIN;
  throw new ConfigError(
    'AUTH_METHODS',
    `HOST ${config.host} is not a loopback address and no authentication is configured: set AUTH_METHODS (oidc with AUTH_OIDC_ISSUER and AUTH_OIDC_AUDIENCE, api-key, account), or AUTH_ANONYMOUS=read|write|all to serve without credentials on purpose`,
  );
}

export function roleMapOf(config: Config): RoleMap {
  if (config.auth.roleMap === undefined) return DEFAULT_ROLES;
  const map = parseRoleMap(config.auth.roleMap);
  if (typeof map === 'string') throw new ConfigError('AUTH_ROLE_MAP', map);
  return map;
}

/** API keys over the index (the server's verifier, and `strata keys`). */
export function apiKeysOf(config: Config, db: Db, log: Logger): ApiKeys {
  const cacheTtlMs = config.auth.apiKeyCacheSeconds * 1000;
  return new ApiKeys({ db, roles: roleMapOf(config), log, cacheTtlMs });
}

export interface SecurityParts {
  authenticator: Authenticator;
  /** Built-in accounts (AUTH_METHODS=account): `strata users`, and POST /auth/token's grants. */
  accounts?: AccountService | undefined;
  tokenEndpoint?: TokenEndpointOptions | undefined;
  /** API keys (AUTH_METHODS=api-key): `strata keys`, and the admin endpoints over them. */
  apiKeys?: ApiKeys | undefined;
  /** Writes what is pending (API keys' last use) at shutdown. */
  close(): Promise<void>;
}

/** Built-in accounts over the index, and the verifier of the access tokens they are issued. */
export function openAccounts(
  config: Config,
  database: Database,
): { accounts: AccountService; tokens: LocalTokens } {
  const roleMap = roleMapOf(config);
  const tokens = new LocalTokens(database.db, {
    ttlSeconds: config.auth.tokenTtlSeconds,
    refreshTtlSeconds: config.auth.refreshTtlSeconds,
    roleMap,
    clockToleranceSeconds: config.auth.clockToleranceSeconds,
  });
  const accounts = new AccountService(database.db, tokens, {
    maxFailures: config.auth.maxFailures,
    lockoutSeconds: config.auth.lockoutSeconds,
    roleMap,
    totpIssuer: 'Strata',
  });
  return { accounts, tokens };
}

export function openSecurity(config: Config, database: Database, log: Logger): SecurityParts {
  const anonymous = anonymousActions(config);
  const methods = new Set(config.auth.methods);
  if (methods.has('oidc') && (!config.auth.oidcIssuer || !config.auth.oidcAudience)) {
    throw new ConfigError(
      'AUTH_OIDC_ISSUER',
      'AUTH_METHODS=oidc needs AUTH_OIDC_ISSUER and AUTH_OIDC_AUDIENCE',
    );
  }
  if (config.auth.anonymous !== undefined && config.auth.anonymous !== 'none') {
    log.warn('anonymous access is on', { AUTH_ANONYMOUS: config.auth.anonymous });
  }
  const local = methods.has('account') ? openAccounts(config, database) : undefined;
  const apiKeys = methods.has('api-key') ? apiKeysOf(config, database.db, log) : undefined;
  const authenticator = new Authenticator({
    adminToken: config.adminToken,
    oidc: methods.has('oidc') ? oidcVerifierOf(config, log) : undefined,
    apiKeys,
    accounts: local?.tokens,
    claims: {
      rolesClaim: config.auth.rolesClaim,
      patientClaim: config.auth.patientClaim,
      roleMap: roleMapOf(config),
    },
    anonymous,
  });
  return {
    authenticator,
    accounts: local?.accounts,
    apiKeys,
    tokenEndpoint: local && {
      accounts: local.accounts,
      loginLimiter: new RateLimiter({
        limit: config.auth.loginRatePerMinute,
        windowMs: 60_000,
      }),
    },
    close: async () => {
      await apiKeys?.flush();
    },
  };
}

/** Discovery and keys are fetched on the first token: the provider may be down at start-up. */
function oidcVerifierOf(config: Config, log: Logger) {
  const auth = config.auth;
  return createOidcVerifier({
    issuer: auth.oidcIssuer!,
    audience: auth.oidcAudience!,
    algorithms: auth.oidcAlgorithms,
    clockToleranceSeconds: auth.clockToleranceSeconds,
    jwksCooldownSeconds: auth.jwksCooldownSeconds,
    jwksCacheSeconds: auth.jwksCacheSeconds,
    log,
  });
}

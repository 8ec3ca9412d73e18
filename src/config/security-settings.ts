import { boolean, integer, list, oneOf, secret, string, url } from './setting.js';

/**
 * Authentication, authorization, audit and TLS (README "Security"). Declared once here; the
 * README table is rendered from these declarations.
 */
export const AUTH = {
  methods: list({
    env: 'AUTH_METHODS',
    default: [],
    shown: '—',
    check: (values) => {
      const unknown = values.find((v) => !['oidc', 'api-key', 'account'].includes(v));
      return unknown === undefined
        ? undefined
        : `unknown method "${unknown}" (oidc, api-key, account)`;
    },
    help: 'credentials accepted, any of `oidc` (bearer tokens from `AUTH_OIDC_ISSUER`), `api-key` (`strata keys`), `account` (built-in accounts, `strata users`, `POST /auth/token`). Empty → no authentication: allowed only on a loopback `HOST` (every action) or with `AUTH_ANONYMOUS`',
  }),
  anonymous: oneOf({
    env: 'AUTH_ANONYMOUS',
    values: ['none', 'read', 'write', 'all'] as const,
    help: 'what a request without credentials may do: `read` (QIDO/WADO), `write` (read and STOW), `all` (every action but admin). Unset → `none`, except with no `AUTH_METHODS` on a loopback `HOST` (every action). Logged as a warning at every start when not `none`',
  }),
  oidcIssuer: url({
    env: 'AUTH_OIDC_ISSUER',
    protocols: ['https:', 'http:'],
    map: (value) => value,
    help: 'OIDC issuer (exact `iss`); its `/.well-known/openid-configuration` names the JWKS. E.g. `https://keycloak.example.org/realms/imaging`',
  }),
  oidcAudience: string({
    env: 'AUTH_OIDC_AUDIENCE',
    help: 'required `aud` of OIDC tokens (required with `oidc`)',
  }),
  oidcAlgorithms: list({
    env: 'AUTH_OIDC_ALGORITHMS',
    default: ['RS256', 'PS256', 'ES256', 'EdDSA'],
    check: (values) => {
      const bad = values.find((v) => v === 'none' || v.startsWith('HS'));
      return bad === undefined ? undefined : `"${bad}" is never accepted with a JWKS`;
    },
    help: 'signature algorithms accepted on OIDC tokens; `none` and `HS*` are refused',
  }),
  clockToleranceSeconds: integer({
    env: 'AUTH_CLOCK_TOLERANCE_SECONDS',
    default: 30,
    min: 0,
    max: 300,
    help: 'leeway on `exp` and `nbf`',
  }),
  jwksCooldownSeconds: integer({
    env: 'AUTH_JWKS_COOLDOWN_SECONDS',
    default: 30,
    min: 0,
    help: 'a token with an unknown `kid` refetches the JWKS at most once per this many seconds',
  }),
  jwksCacheSeconds: integer({
    env: 'AUTH_JWKS_CACHE_SECONDS',
    default: 600,
    min: 0,
    help: 'keys are refreshed after this long; cached keys keep working while the identity provider is down',
  }),
  apiKeyCacheSeconds: integer({
    env: 'AUTH_API_KEY_CACHE_SECONDS',
    default: 30,
    min: 0,
    max: 300,
    help: 'a verified API key is trusted this long without asking the index, so a revocation (`strata keys revoke`) takes effect within this time; `0` = look the key up on every request',
  }),
  rolesClaim: string({
    env: 'AUTH_ROLES_CLAIM',
    default: 'roles',
    help: 'dotted path of the token claim holding role names: `roles`, `realm_access.roles` (Keycloak), `groups`, `scope` (space-separated)',
  }),
  roleMap: string({
    env: 'AUTH_ROLE_MAP',
    values: '`role=action+action,…`',
    help: 'extra or renamed roles on top of `reader`, `uploader` (write), `writer` (read+write), `editor` (read+write+delete), `admin`; actions are `read`, `write`, `delete`, `admin`',
  }),
  patientClaim: string({
    env: 'AUTH_PATIENT_CLAIM',
    default: 'patient',
    help: 'token claim holding the patient context (one PatientID or a list); when present, the token sees only those patients',
  }),
  tokenTtlSeconds: integer({
    env: 'AUTH_TOKEN_TTL_SECONDS',
    default: 900,
    min: 60,
    max: 86400,
    help: 'lifetime of access tokens issued by `POST /auth/token`',
  }),
  refreshTtlSeconds: integer({
    env: 'AUTH_REFRESH_TTL_SECONDS',
    default: 28800,
    min: 60,
    help: 'lifetime of refresh tokens (each use rotates it)',
  }),
  maxFailures: integer({
    env: 'AUTH_LOCKOUT_FAILURES',
    default: 5,
    min: 1,
    help: 'failed sign-ins in a row that lock an account',
  }),
  lockoutSeconds: integer({
    env: 'AUTH_LOCKOUT_SECONDS',
    default: 900,
    min: 1,
    help: 'how long a locked account stays locked',
  }),
  loginRatePerMinute: integer({
    env: 'RATE_LIMIT_LOGIN_PER_MINUTE',
    default: 20,
    min: 0,
    help: 'sign-in attempts per client address per minute (`0` = no limit); beyond it 429 with `Retry-After`',
  }),
  expensiveRatePerMinute: integer({
    env: 'RATE_LIMIT_EXPENSIVE_PER_MINUTE',
    default: 600,
    min: 0,
    help: 'rendered images and thumbnails, whole-study and whole-series retrievals, and broad searches (QIDO `/studies`, `/series`, `/instances` with no filter beyond paging, `includefield` and matching modifiers) per minute: per principal for requests with credentials, per client address for anonymous ones (`0` = no limit); beyond it 429 with `Retry-After`. Counted per process',
  }),
};

export const AUDIT = {
  pseudonymKey: secret({
    env: 'AUDIT_PSEUDONYM_KEY',
    minLength: 32,
    help: 'HMAC key for patient and study identifiers in the audit trail. Unset → a random key kept in `DATA_DIR/audit-pseudonym.key` (set it explicitly with PostgreSQL and several nodes)',
  }),
  retentionDays: integer({
    env: 'AUDIT_RETENTION_DAYS',
    default: 2190,
    min: 1,
    help: 'audit records older than this are removed (HIPAA 164.316(b)(2): 6 years)',
  }),
  syslogUrl: url({
    env: 'AUDIT_SYSLOG_URL',
    protocols: ['udp:', 'tls:'],
    help: 'ATNA audit repository: `tls://host:6514` (RFC 5425) or `udp://host:514` (RFC 5426); records carry the PS3.15 A.5.1 XML message, spooled in the index and delivered after an outage',
  }),
  syslogCaFile: string({
    env: 'AUDIT_SYSLOG_CA_FILE',
    values: 'file path',
    help: 'CA certificate(s) trusted for `tls://` (default: the system store)',
  }),
  syslogCertFile: string({
    env: 'AUDIT_SYSLOG_CERT_FILE',
    values: 'file path',
    help: 'client certificate for mutual TLS to the audit repository',
  }),
  syslogKeyFile: string({
    env: 'AUDIT_SYSLOG_KEY_FILE',
    values: 'file path',
    help: 'client key for `AUDIT_SYSLOG_CERT_FILE`',
  }),
  enterpriseSiteId: string({
    env: 'AUDIT_SITE_ID',
    default: 'strata',
    help: 'AuditSourceID and EnterpriseSiteID in audit messages',
  }),
};

export const TLS = {
  certFile: string({
    env: 'TLS_CERT_FILE',
    values: 'file path',
    help: 'PEM certificate chain: Strata serves HTTPS itself (TLS 1.2+). Needs `TLS_KEY_FILE`',
  }),
  keyFile: string({
    env: 'TLS_KEY_FILE',
    values: 'file path',
    help: 'PEM private key for `TLS_CERT_FILE`',
  }),
  hsts: boolean({
    env: 'TLS_HSTS',
    default: true,
    help: 'with TLS on, send `Strict-Transport-Security: max-age=31536000`',
  }),
};

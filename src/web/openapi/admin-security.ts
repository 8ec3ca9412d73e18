import { json, problem } from './components.js';
import type { ApiArea, Json } from './types.js';

/** What the web console's admin pages send: one JSON object of a few short fields. */
const jsonBody = (s: Json): Json => ({
  required: true,
  content: { 'application/json': { schema: s } },
});

const strings = (description: string): Json => ({
  type: 'array',
  items: { type: 'string' },
  description,
});
const date = { type: 'string', format: 'date-time' };
const optionalDate = { type: ['string', 'null'], format: 'date-time' };

/** A key as listed (auth/api-keys.ts ApiKeyInfo): never the secret or its hash. */
const API_KEY: Json = {
  type: 'object',
  required: ['id', 'name', 'role', 'prefix', 'createdAt'],
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    role: { type: 'string' },
    prefix: { type: 'string', description: '`strata_` and the first characters of the secret' },
    patientIds: strings('Only these PatientIDs’ studies; absent = no restriction'),
    createdAt: date,
    lastUsedAt: date,
    revokedAt: date,
  },
};

/** An account as listed (auth/accounts.ts AccountSummary): never its password or TOTP secret. */
const ACCOUNT: Json = {
  type: 'object',
  required: ['username', 'roles', 'patientIds', 'totp', 'disabled', 'createdAt'],
  properties: {
    username: { type: 'string' },
    roles: strings('Roles (ROLES_FILE or the default ones)'),
    patientIds: { type: ['array', 'null'], items: { type: 'string' } },
    totp: { enum: ['required', 'enrolled', 'off'] },
    disabled: { type: 'boolean' },
    lockedUntil: optionalDate,
    lastLoginAt: optionalDate,
    createdAt: date,
  },
};

const NO_STORE = { 'Cache-Control': { schema: { const: 'no-store' } } };
const BODY_ERRORS = {
  '400': problem(
    'Not application/json, not a JSON object, a field missing or of the wrong type, over 16 KiB, or refused (auth.invalid_request: unknown role, name taken, weak password, …)',
  ),
};
const RECORDED =
  'Recorded to the audit trail (Security Alert, User Security Attributes Changed) with the admin who made it, before the answer; no record, no change answered.';

const username: Json = {
  name: 'username',
  in: 'path',
  required: true,
  description: 'Case-insensitive',
  schema: { type: 'string' },
};

/** API keys (`strata keys`), served with AUTH_METHODS=api-key (web/admin-security.routes.ts). */
export const API_KEYS: ApiArea = {
  mount: 'root',
  routes: [
    {
      method: 'get',
      path: '/admin/api-keys',
      operation: {
        summary: 'Every API key, revoked ones included, oldest first',
        tags: ['Admin'],
        responses: {
          '200': {
            ...json('keys', {
              type: 'object',
              required: ['keys'],
              properties: { keys: { type: 'array', items: API_KEY } },
            }),
            headers: NO_STORE,
          },
        },
      },
    },
    {
      method: 'post',
      path: '/admin/api-keys',
      operation: {
        summary: 'Create an API key (the key is in this answer only)',
        description: RECORDED,
        tags: ['Admin'],
        requestBody: jsonBody({
          type: 'object',
          required: ['name', 'role'],
          properties: {
            name: { type: 'string', minLength: 1, description: 'Unique among live keys' },
            role: { type: 'string', minLength: 1 },
            patientIds: strings('Only these PatientIDs’ studies; omit for no restriction'),
          },
        }),
        responses: {
          '201': {
            ...json('The key, with its secret `key` (`strata_…`), shown once', {
              allOf: [
                API_KEY,
                { type: 'object', required: ['key'], properties: { key: { type: 'string' } } },
              ],
            }),
            headers: NO_STORE,
          },
          ...BODY_ERRORS,
        },
      },
    },
    {
      method: 'delete',
      path: '/admin/api-keys/:key',
      operation: {
        summary: 'Revoke live API keys by id or name (takes effect within seconds everywhere)',
        description: RECORDED,
        tags: ['Admin'],
        parameters: [
          {
            name: 'key',
            in: 'path',
            required: true,
            description: 'The key’s id or name',
            schema: { type: 'string' },
          },
        ],
        responses: {
          '200': {
            ...json('The keys revoked', {
              type: 'object',
              required: ['revoked'],
              properties: { revoked: { type: 'array', items: API_KEY } },
            }),
            headers: NO_STORE,
          },
          '400': problem('No live key with this id or name (auth.invalid_request)'),
        },
      },
    },
  ],
};

/** Built-in accounts (`strata users`), served with AUTH_METHODS=account. */
export const ACCOUNTS: ApiArea = {
  mount: 'root',
  routes: [
    {
      method: 'get',
      path: '/admin/users',
      operation: {
        summary: 'Every built-in account',
        tags: ['Admin'],
        responses: {
          '200': {
            ...json('users', {
              type: 'object',
              required: ['users'],
              properties: { users: { type: 'array', items: ACCOUNT } },
            }),
            headers: NO_STORE,
          },
        },
      },
    },
    {
      method: 'post',
      path: '/admin/users',
      operation: {
        summary: 'Add a built-in account (a TOTP secret, when asked for, is in this answer only)',
        description: RECORDED,
        tags: ['Admin'],
        requestBody: jsonBody({
          type: 'object',
          required: ['username', 'password'],
          properties: {
            username: { type: 'string', minLength: 1, description: 'Stored in lower case' },
            password: { type: 'string', minLength: 1 },
            roles: strings('Roles granted; none by default'),
            patientIds: strings('Only these PatientIDs’ studies; omit for no restriction'),
            totpRequired: {
              type: 'boolean',
              default: false,
              description: 'Sign-in needs a one-time code; the secret is enrolled at once',
            },
          },
        }),
        responses: {
          '201': {
            ...json('The account, and its TOTP enrollment when totpRequired', {
              type: 'object',
              required: ['username'],
              properties: {
                username: { type: 'string' },
                totp: {
                  type: 'object',
                  required: ['secret', 'uri'],
                  properties: {
                    secret: { type: 'string', description: 'Base32 (RFC 4648)' },
                    uri: { type: 'string', description: '`otpauth://totp/…` for an app' },
                  },
                },
              },
            }),
            headers: NO_STORE,
          },
          ...BODY_ERRORS,
        },
      },
    },
    ...(['disable', 'enable'] as const).map((change) => ({
      method: 'post' as const,
      path: `/admin/users/:username/${change}`,
      operation: {
        summary:
          change === 'disable'
            ? 'Disable an account: no sign-in, no refresh; its sessions end'
            : 'Enable a disabled account',
        description: RECORDED,
        tags: ['Admin'],
        parameters: [username],
        responses: {
          '204': { description: change === 'disable' ? 'Disabled' : 'Enabled' },
          '400': problem('No account of this name (auth.invalid_request)'),
        },
      },
    })),
  ],
};

import { json } from './components.js';
import type { ApiArea } from './types.js';

const CACHE_HEADERS = {
  ETag: { schema: { type: 'string' } },
  'Cache-Control': { schema: { type: 'string' } },
};

/**
 * The web console (console/console.routes.ts): its page and scripts, public because they hold no
 * data; what it shows comes from the authenticated APIs. Served when the console is on.
 */
export const CONSOLE: ApiArea = {
  mount: 'root',
  routes: [
    {
      method: 'get',
      path: '/',
      operation: {
        summary: 'The web console (its HTML page)',
        tags: ['Console'],
        responses: {
          '200': {
            description:
              'The page, with Content-Security-Policy, Referrer-Policy: no-referrer and X-Frame-Options: DENY',
            headers: {
              ...CACHE_HEADERS,
              'Content-Security-Policy': { schema: { type: 'string' } },
            },
            content: { 'text/html': { schema: { type: 'string' } } },
          },
          '304': { description: 'Not modified (If-None-Match)', headers: CACHE_HEADERS },
        },
      },
    },
    {
      method: 'get',
      path: '/console/*',
      operation: {
        summary: 'A script, style sheet, image or settings file of the web console',
        tags: ['Console'],
        parameters: [
          {
            name: 'asset',
            in: 'path',
            required: true,
            description: 'The file, as the console page names it',
            schema: { type: 'string' },
          },
        ],
        responses: {
          '200': {
            description: 'The file, with its own media type',
            headers: CACHE_HEADERS,
            content: {
              'text/javascript': { schema: { type: 'string' } },
              'text/css': { schema: { type: 'string' } },
              'application/json': { schema: { type: 'object' } },
              'image/svg+xml': { schema: { type: 'string' } },
            },
          },
          '304': { description: 'Not modified (If-None-Match)', headers: CACHE_HEADERS },
          '404': { $ref: '#/components/responses/NotFound' },
        },
      },
    },
  ],
};

/** The caller's own identity (web/whoami.routes.ts); always served. */
export const WHOAMI: ApiArea = {
  mount: 'root',
  routes: [
    {
      method: 'get',
      path: '/auth/whoami',
      operation: {
        summary: 'Who the caller is and which actions it may use',
        description:
          'Public: it tells a caller only about itself. Without credentials, the anonymous principal (no actions unless AUTH_ANONYMOUS grants some); invalid credentials get 401. Never cached (Vary: Authorization).',
        tags: ['Authentication'],
        responses: {
          '200': json('The principal', {
            type: 'object',
            required: ['authenticated', 'id', 'method', 'roles', 'actions', 'patientScoped'],
            properties: {
              authenticated: { type: 'boolean' },
              id: { type: ['string', 'null'] },
              method: {
                type: ['string', 'null'],
                enum: ['anonymous', 'oidc', 'api-key', 'account', 'admin-token', null],
              },
              roles: { type: 'array', items: { type: 'string' } },
              actions: {
                type: 'array',
                items: { enum: ['read', 'write', 'delete', 'admin'] },
              },
              patientScoped: {
                type: 'boolean',
                description: 'It sees only some patients’ studies',
              },
            },
          }),
          '401': { $ref: '#/components/responses/Unauthenticated' },
        },
      },
    },
  ],
};

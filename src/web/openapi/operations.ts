import { json, problem, response } from './components.js';
import type { ApiArea, Json } from './types.js';

/** Probes (web/health.routes.ts), at the server root. */
export const HEALTH: ApiArea = {
  mount: 'root',
  routes: [
    {
      method: 'get',
      path: '/healthz',
      operation: {
        summary: 'Liveness: the process answers (checks no dependency)',
        tags: ['Operations'],
        responses: { '200': json('Alive') },
      },
    },
    {
      method: 'get',
      path: '/readyz',
      operation: {
        summary: 'Readiness: the index and every storage tier answer',
        tags: ['Operations'],
        responses: {
          '200': json('Ready, with each check'),
          '503': {
            ...json('Not ready, naming the failing checks'),
            headers: { 'Retry-After': { schema: { type: 'integer' } } },
          },
        },
      },
    },
  ],
};

/** Built-in accounts' token endpoint (web/token.routes.ts, AUTH_METHODS=account). */
export const TOKEN: ApiArea = {
  mount: 'root',
  routes: [
    {
      method: 'post',
      path: '/auth/token',
      operation: {
        summary: 'Token for a built-in account (RFC 6749 password and refresh_token grants)',
        tags: ['Authentication'],
        requestBody: {
          required: true,
          content: {
            'application/x-www-form-urlencoded': {
              schema: {
                type: 'object',
                required: ['grant_type'],
                properties: {
                  grant_type: { enum: ['password', 'refresh_token'] },
                  username: { type: 'string' },
                  password: { type: 'string' },
                  totp: {
                    type: 'string',
                    description: 'Second factor, for accounts that have one',
                  },
                  refresh_token: { type: 'string' },
                },
              },
            },
          },
        },
        responses: {
          '200': json('access_token, token_type, expires_in, refresh_token'),
          '400': problem('invalid_grant or invalid_request'),
          '429': response('TooManyRequests'),
        },
      },
    },
  ],
};

/** One verify run (services/verify-runs.ts). */
const VERIFY_RUN: Json = {
  type: ['object', 'null'],
  properties: {
    startedAt: { type: 'string', format: 'date-time' },
    finishedAt: { type: ['string', 'null'], format: 'date-time' },
    checksums: { type: 'boolean' },
    report: {
      type: ['object', 'null'],
      description: 'Instances and blobs checked, and the problems found (services/verify.ts)',
    },
    failed: {
      type: ['string', 'null'],
      description: 'The error code when the walk itself failed',
    },
  },
};
const VERIFY_STATUS: Json = {
  type: 'object',
  required: ['running', 'last'],
  properties: { running: VERIFY_RUN, last: VERIFY_RUN },
};

/** Operator endpoints (web/admin.routes.ts). */
export const ADMIN: ApiArea = {
  mount: 'root',
  routes: [
    {
      method: 'post',
      path: '/admin/hsm/run',
      operation: {
        summary: 'Run one HSM migration cycle now; answers its report',
        tags: ['Admin'],
        responses: { '200': json('The cycle report') },
      },
    },
    {
      method: 'get',
      path: '/admin/hsm/stats',
      operation: {
        summary: 'Instances, bytes, studies, series and patients per tier; cumulative HSM totals',
        tags: ['Admin'],
        responses: { '200': json('tiers and totals') },
      },
    },
    {
      method: 'get',
      path: '/admin/hsm/cycles',
      operation: {
        summary: 'Recent HSM cycles, newest first',
        tags: ['Admin'],
        parameters: [
          {
            name: 'limit',
            in: 'query',
            schema: { type: 'integer', minimum: 1, maximum: 500, default: 20 },
          },
        ],
        responses: { '200': json('totals and cycles') },
      },
    },
    {
      method: 'get',
      path: '/admin/verify',
      operation: {
        summary: 'The storage verify run in progress, if any, and the last finished one',
        description:
          'Kept in memory: a restart forgets the last report (`strata verify` prints its own)',
        tags: ['Admin'],
        responses: { '200': json('running and last', VERIFY_STATUS) },
      },
    },
    {
      method: 'post',
      path: '/admin/verify',
      operation: {
        summary: 'Start a storage verify run in the background (every blob against the index)',
        tags: ['Admin'],
        parameters: [
          {
            name: 'checksums',
            in: 'query',
            required: false,
            description: '`false` checks presence and size only, without re-hashing every blob',
            schema: { type: 'boolean', default: true },
          },
        ],
        responses: {
          '202': json('Started; running and last', VERIFY_STATUS),
          '409': json('A run is already in progress; running and last', VERIFY_STATUS),
        },
      },
    },
    {
      method: 'get',
      path: '/admin/audit',
      operation: {
        summary: 'Search the audit trail, newest first',
        tags: ['Admin'],
        parameters: ['patientId', 'studyUid', 'user', 'event', 'from', 'to', 'limit', 'before'].map(
          (name) => ({ name, in: 'query', schema: { type: 'string' } }),
        ),
        responses: { '200': json('records and the `next` cursor'), '400': response('BadRequest') },
      },
    },
  ],
};

/** Observability (web/metrics.routes.ts, web/openapi.routes.ts). */
export const OBSERVABILITY: ApiArea = {
  mount: 'root',
  routes: [
    {
      method: 'get',
      path: '/metrics',
      operation: {
        summary: 'Prometheus metrics (text exposition format 0.0.4)',
        description:
          'Admin action by default; METRICS_TOKEN adds a scrape-only bearer token, METRICS_PUBLIC=true serves it without credentials',
        tags: ['Operations'],
        responses: {
          '200': {
            description: 'The metrics',
            content: { 'text/plain': { schema: { type: 'string' } } },
          },
        },
      },
    },
    {
      method: 'get',
      path: '/openapi.json',
      operation: {
        summary: 'This document (OpenAPI 3.1)',
        tags: ['Operations'],
        responses: { '200': json('The OpenAPI document') },
      },
    },
  ],
};

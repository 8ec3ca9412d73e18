import { CHANGES, WEBHOOKS } from './changes.js';
import type { RouteRecord } from '../access.js';
import { ACCOUNTS, API_KEYS } from './admin-security.js';
import { COMPONENTS, response } from './components.js';
import { CONSOLE, WHOAMI } from './console.js';
import { DICOMWEB } from './dicomweb.js';
import { ADMIN, HEALTH, OBSERVABILITY, TOKEN } from './operations.js';
import { UPLOADS } from './uploads.js';
import type { ApiArea, Json } from './types.js';

/**
 * Every documented area. A route added to the route table must be documented in one of them
 * (test/openapi.test.ts fails, naming the entry to add); the document served lists only the
 * routes this server has (optional ones, like `POST /auth/token`, follow their settings).
 */
export const AREAS: readonly ApiArea[] = [
  HEALTH,
  TOKEN,
  WHOAMI,
  OBSERVABILITY,
  DICOMWEB,
  UPLOADS,
  CHANGES,
  ADMIN,
  WEBHOOKS,
  API_KEYS,
  ACCOUNTS,
  CONSOLE,
];

export interface DocumentedRoute {
  /** Upper case, as in the route table. */
  method: string;
  /** The full hono template, as the route table records it. */
  path: string;
  operation: Json;
}

/** The documented routes with full paths (the DICOMweb ones below `dicomwebRoot`). */
export function documentedRoutes(dicomwebRoot: string): DocumentedRoute[] {
  return AREAS.flatMap((area) =>
    area.routes.map((route) => ({
      method: route.method.toUpperCase(),
      path: (area.mount === 'dicomweb' ? dicomwebRoot : '') + route.path,
      operation: route.operation,
    })),
  );
}

/** Names of the trailing wildcards: the bulk data path, the console's asset. */
const WILDCARDS: Record<string, string> = { bulkdata: 'bulkDataPath', console: 'asset' };

/**
 * hono `:param` → OpenAPI `{param}`; a trailing wildcard `*` → a parameter named after the
 * segment before it (`…/bulkdata/{bulkDataPath}`, `/console/{asset}`).
 */
export function openApiPath(honoPath: string): string {
  return honoPath
    .replace(/:([A-Za-z]+)/g, '{$1}')
    .replace(
      /\/([^/]*)\/\*$/,
      (_, segment: string) => `/${segment}/{${WILDCARDS[segment] ?? 'path'}}`,
    );
}

export interface OpenApiOptions {
  dicomwebRoot: string;
  /** `servers[0].url` when PUBLIC_BASE_URL is set; else relative to wherever it was fetched. */
  publicBaseUrl: string | undefined;
}

/**
 * The OpenAPI 3.1 document of this server: each route of the table that is documented, with
 * the security its action needs (taken from the table, so the two cannot disagree), the
 * answers of the access check (401, 403) and of the rate limit (429) where they apply.
 */
export function openApiDocument(records: readonly RouteRecord[], options: OpenApiOptions): Json {
  const byRoute = new Map(documentedRoutes(options.dicomwebRoot).map((d) => [key(d), d]));
  const paths: Record<string, Record<string, Json>> = {};
  for (const record of records) {
    const documented = byRoute.get(key(record));
    if (!documented) continue;
    const operation = { ...documented.operation };
    const responses = { ...(operation['responses'] as Json) };
    if (record.access === 'public') {
      operation['security'] = [];
    } else {
      operation['security'] = [{ bearer: [] }];
      responses['401'] ??= response('Unauthenticated');
      responses['403'] ??= response('Forbidden');
    }
    if (record.expensive) responses['429'] ??= response('TooManyRequests');
    operation['responses'] = responses;
    operation['x-strata-action'] = record.access;
    (paths[openApiPath(record.path)] ??= {})[record.method.toLowerCase()] = operation;
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Strata',
      version: '0.1.0',
      summary: 'DICOMweb archive (PS3.18 Studies Service) with operations endpoints',
      license: { name: 'See the repository' },
    },
    ...(options.publicBaseUrl ? { servers: [{ url: options.publicBaseUrl }] } : {}),
    security: [{ bearer: [] }],
    tags: [
      { name: 'DICOMweb', description: `Studies Service below ${options.dicomwebRoot || '/'}` },
      { name: 'Authentication' },
      { name: 'Uploads', description: 'Resumable uploads (tus 1.0.0) stored through STOW' },
      {
        name: 'Change feed',
        description: 'Instance changes in commit order, and live as Server-Sent Events',
      },
      { name: 'Admin', description: 'Needs the admin action' },
      { name: 'Console', description: 'The web console’s page and scripts (no data)' },
      { name: 'Operations', description: 'Probes, metrics, this document' },
    ],
    paths,
    components: COMPONENTS,
  };
}

function key(route: { method: string; path: string }): string {
  return `${route.method} ${route.path}`;
}

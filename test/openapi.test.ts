import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hono } from 'hono';
import { Authenticator } from '../src/auth/authenticate.js';
import { DEFAULT_ROLES } from '../src/auth/roles.js';
import type { RouteRecord } from '../src/web/access.js';
import { openFullApp, type FullApp } from './helpers/full-app.js';
import { documentedRoutes, openApiPath } from '../src/web/openapi/document.js';
import { startTestServer, testDb, type TestServer } from './helpers/server.js';

/**
 * The OpenAPI document against the app: every route the app has is documented, and nothing is
 * documented that the app does not have. Routes are walked as test/route-table.test.ts walks
 * them, with every optional route on.
 */
const ROOT = '/dicom-web';

let full: FullApp;
let app: Hono;
let records: readonly RouteRecord[];

beforeAll(async () => {
  // Every optional route is on (as in test/route-table.test.ts), so none escapes the check.
  full = await openFullApp(
    new Authenticator({
      claims: { rolesClaim: 'roles', patientClaim: 'patient', roleMap: DEFAULT_ROLES },
      anonymous: new Set(),
    }),
    ROOT,
  );
  ({ app, records } = full);
});
afterAll(async () => {
  await full?.close();
});

/** `GET /dicom-web/studies/{study}` */
const name = (r: { method: string; path: string }) => `${r.method} ${openApiPath(r.path)}`;

/** The routes not documented, each with the entry to add and where. */
function undocumented(routes: { method: string; path: string }[]): string[] {
  const documented = new Set(documentedRoutes(ROOT).map(name));
  return routes
    .filter((r) => !documented.has(name(r)))
    .map((r) => {
      const dicomweb = r.path.startsWith(`${ROOT}/`);
      const path = dicomweb ? r.path.slice(ROOT.length) : r.path;
      const file = dicomweb
        ? 'src/web/openapi/dicomweb.ts (DICOMWEB)'
        : 'src/web/openapi/operations.ts (or a new area in document.ts AREAS)';
      return `${r.method} ${r.path}: add { method: '${r.method.toLowerCase()}', path: '${path}', operation: { summary, tags, parameters, responses } } to ${file}`;
    });
}

async function fetchDocument(): Promise<any> {
  const response = await app.request('/openapi.json');
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('application/json');
  return response.json();
}

describe('#14: the OpenAPI document', () => {
  it('documents every route of the app (add the missing ones to src/web/openapi/)', () => {
    const routes = app.routes.filter((r) => r.method !== 'ALL');
    expect(routes.length).toBeGreaterThan(30);
    expect(undocumented(routes), 'routes without documentation').toEqual([]);
  });

  it('names the entry to add for a route that is not documented', () => {
    expect(undocumented([{ method: 'GET', path: `${ROOT}/studies/:study/pixeldata` }])).toEqual([
      `GET ${ROOT}/studies/:study/pixeldata: add { method: 'get', path: '/studies/:study/pixeldata', operation: { summary, tags, parameters, responses } } to src/web/openapi/dicomweb.ts (DICOMWEB)`,
    ]);
    expect(undocumented([{ method: 'GET', path: '/changefeed' }])[0]).toContain(
      "path: '/changefeed'",
    );
  });

  it('documents nothing the app does not have', () => {
    const present = new Set(app.routes.filter((r) => r.method !== 'ALL').map(name));
    const stale = documentedRoutes(ROOT)
      .filter((d) => !present.has(name(d)))
      .map((d) => `${name(d)}: no such route; remove it from src/web/openapi/`);
    expect(stale, 'documented routes the app does not have').toEqual([]);
  });

  it('serves a valid-looking OpenAPI 3.1 document with each route’s method, parameters and security from the table', async () => {
    const document = await fetchDocument();
    expect(document.openapi).toBe('3.1.0');
    const served = Object.entries(document.paths as Record<string, Record<string, any>>).flatMap(
      ([path, operations]) => Object.keys(operations).map((m) => `${m.toUpperCase()} ${path}`),
    );
    expect(served.sort()).toEqual(records.map(name).sort());

    const study = document.paths[`${ROOT}/studies/{study}/series/{series}/metadata`].get;
    expect(study['x-strata-action']).toBe('read');
    expect(study.security).toEqual([{ bearer: [] }]);
    expect(study.responses['401']).toEqual({ $ref: '#/components/responses/Unauthenticated' });
    // Every path parameter of the template is declared, resolvable, and required.
    for (const [path, operations] of Object.entries(document.paths as Record<string, any>)) {
      const inPath = [...path.matchAll(/\{([A-Za-z]+)\}/g)].map((m) => m[1]).sort();
      for (const operation of Object.values(operations as Record<string, any>)) {
        const declared = (operation.parameters ?? [])
          .map((p: any) => (p.$ref ? document.components.parameters[p.$ref.split('/').pop()] : p))
          .filter((p: any) => p.in === 'path');
        expect(declared.map((p: any) => p.name).sort(), path).toEqual(inPath);
        expect(
          declared.every((p: any) => p.required === true),
          path,
        ).toBe(true);
        expect(Object.keys(operation.responses).length, path).toBeGreaterThan(0);
      }
    }
    expect(document.paths['/healthz'].get.security).toEqual([]);
    expect(document.paths['/metrics'].get['x-strata-action']).toBe('admin');
    expect(document.components.securitySchemes.bearer).toMatchObject({
      type: 'http',
      scheme: 'bearer',
    });
    expect(document.components.schemas.Problem.required).toContain('code');
    // Every $ref resolves.
    const refs = [...JSON.stringify(document).matchAll(/"\$ref":"#\/([^"]+)"/g)].map((m) => m[1]!);
    for (const ref of refs) {
      const target = ref.split('/').reduce((node: any, key) => node?.[key], document);
      expect(target, ref).toBeDefined();
    }
  });
});

describe('#14: the OpenAPI document of the console, its admin APIs and resumable uploads', () => {
  it('documents tus uploads with their headers, media types and methods', async () => {
    const { paths } = await fetchDocument();
    expect(Object.keys(paths['/uploads']).sort()).toEqual(['options', 'post']);
    expect(Object.keys(paths['/uploads/{id}']).sort()).toEqual(['delete', 'get', 'patch']);
    const patch = paths['/uploads/{id}'].patch;
    expect(patch['x-strata-action']).toBe('write');
    expect(Object.keys(patch.requestBody.content)).toEqual(['application/offset+octet-stream']);
    const headers = (op: any) =>
      op.parameters.filter((p: any) => p.in === 'header').map((p: any) => p.name);
    expect(headers(patch)).toEqual(expect.arrayContaining(['Tus-Resumable', 'Upload-Offset']));
    expect(patch.parameters.find((p: any) => p.name === 'Upload-Offset').required).toBe(true);
    expect(headers(paths['/uploads'].post)).toEqual(
      expect.arrayContaining(['Tus-Resumable', 'Upload-Length', 'Upload-Metadata']),
    );
    expect(paths['/uploads'].post.responses['201'].headers.Location).toBeDefined();
    expect(paths['/uploads'].options.responses['204'].headers['Tus-Max-Size']).toBeDefined();
    expect(paths['/uploads/{id}/result'].get.responses['200'].content).toHaveProperty(
      'application/dicom+json',
    );
  });

  it('documents the admin APIs’ JSON bodies and the console as public', async () => {
    const { paths } = await fetchDocument();
    const createKey = paths['/admin/api-keys'].post;
    expect(createKey['x-strata-action']).toBe('admin');
    expect(createKey.requestBody.content['application/json'].schema.required).toEqual([
      'name',
      'role',
    ]);
    expect(createKey.responses['400'].content).toHaveProperty('application/problem+json');
    expect(
      paths['/admin/users'].post.requestBody.content['application/json'].schema.required,
    ).toEqual(['username', 'password']);
    expect(paths['/admin/users/{username}/disable'].post.responses['204']).toBeDefined();
    expect(paths['/admin/api-keys/{key}'].delete.parameters[0].name).toBe('key');
    expect(paths['/admin/verify'].post.responses['409']).toBeDefined();
    expect(paths['/auth/whoami'].get.security).toEqual([]);
    expect(paths['/'].get.security).toEqual([]);
    expect(paths['/'].get.responses['200'].content).toHaveProperty('text/html');
    // The console's wildcard is its own parameter, not the bulk data path.
    expect(paths['/console/{asset}'].get.security).toEqual([]);
    expect(openApiPath('/console/*')).toBe('/console/{asset}');
    expect(
      openApiPath(`${ROOT}/studies/:study/series/:series/instances/:instance/bulkdata/*`),
    ).toBe(`${ROOT}/studies/{study}/series/{series}/instances/{instance}/bulkdata/{bulkDataPath}`);
  });
});

describe(`#14: GET /openapi.json on the real server (${testDb})`, () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ AUTH_METHODS: 'api-key', DICOMWEB_ROOT: '/wado' });
  });
  afterAll(() => server?.close());

  it('is public and lists only the routes this server has, under its DICOMweb root', async () => {
    const response = await fetch(`${server.url}/openapi.json`);
    expect(response.status).toBe(200);
    const document: any = await response.json();
    expect(document.paths['/wado/studies'].post['x-strata-action']).toBe('write');
    expect(document.paths['/dicom-web/studies']).toBeUndefined();
    // No account sign-in configured: no token endpoint to document.
    expect(document.paths['/auth/token']).toBeUndefined();
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalIdp } from '../src/auth/testing/local-idp.js';
import { makeInstance } from './helpers/make-dicom.js';
import { stow } from './helpers/multipart.js';
import { startTestServer, testDb, type TestServer } from './helpers/server.js';

/**
 * #12: the server behind an OpenID provider, as a viewer (OHIF) meets it: bearer tokens from a
 * real local provider over HTTP, realm roles as Keycloak sends them.
 */

const AUD = 'strata';
const VIEWER = 'https://viewer.example';

let idp: LocalIdp;
let server: TestServer;
const seed = makeInstance();

beforeAll(async () => {
  idp = await LocalIdp.start('/realms/imaging');
  await idp.addKey('RS256', 'realm-key');
  // The provider is down while the server starts: it must start anyway (discovery is lazy).
  await idp.stop();
  server = await startTestServer({
    AUTH_METHODS: 'oidc',
    AUTH_OIDC_ISSUER: idp.issuer,
    AUTH_OIDC_AUDIENCE: AUD,
    AUTH_ROLES_CLAIM: 'realm_access.roles',
    CORS_ORIGINS: VIEWER,
  });
  const whileDown = await qido({ Authorization: `Bearer ${await tokenFor(['writer'])}` });
  expect(whileDown.status).toBe(401);
  expect(((await whileDown.json()) as { detail?: string }).detail).toMatch(/identity provider/);
  await idp.resume();
  const seeded = await stow(`${server.base}/studies`, [{ body: seed.bytes }], {
    headers: { Authorization: `Bearer ${await tokenFor(['writer'])}` },
  });
  expect(seeded.status).toBe(200);
});
afterAll(async () => {
  await server?.close();
  await idp?.stop();
});

const tokenFor = (roles: string[], expiresIn = 300) =>
  idp.sign({ aud: AUD, realm_access: { roles } }, { expiresIn });

const qido = (headers: Record<string, string> = {}, query = '') =>
  fetch(`${server.base}/studies${query}`, {
    headers: { Accept: 'application/dicom+json', ...headers },
  });

async function problemOf(response: Response): Promise<{ code?: string }> {
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  return (await response.json()) as { code?: string };
}

describe(`#12: OIDC bearer tokens (${testDb})`, () => {
  it('#12: QIDO with a reader token answers 200', async () => {
    const response = await qido(
      { Authorization: `Bearer ${await tokenFor(['reader'])}` },
      `?StudyInstanceUID=${seed.studyInstanceUid}`,
    );
    expect(response.status).toBe(200);
    expect(await response.json()).toHaveLength(1);
  });

  it('#12: no token answers 401 with the Bearer challenge and auth.unauthenticated', async () => {
    const response = await qido();
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="strata"');
    expect((await problemOf(response)).code).toBe('auth.unauthenticated');
  });

  it('#12: an expired token answers 401 with error="invalid_token" and auth.invalid_token', async () => {
    const response = await qido({ Authorization: `Bearer ${await tokenFor(['reader'], -120)}` });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toContain('error="invalid_token"');
    expect((await problemOf(response)).code).toBe('auth.invalid_token');
  });

  it('#12: STOW with a reader token answers 403 auth.forbidden and stores nothing; a writer token stores', async () => {
    const instance = makeInstance();
    const asReader = await stow(`${server.base}/studies`, [{ body: instance.bytes }], {
      headers: { Authorization: `Bearer ${await tokenFor(['reader'])}` },
    });
    expect(asReader.status).toBe(403);
    expect(asReader.contentType).toMatch(/^application\/problem\+json/);
    expect(asReader.json.code).toBe('auth.forbidden');

    const writer = `Bearer ${await tokenFor(['writer'])}`;
    const before = await qido(
      { Authorization: writer },
      `?StudyInstanceUID=${instance.studyInstanceUid}`,
    );
    expect(before.status).toBe(204);
    const asWriter = await stow(`${server.base}/studies`, [{ body: instance.bytes }], {
      headers: { Authorization: writer },
    });
    expect(asWriter.status).toBe(200);
    const after = await qido(
      { Authorization: writer },
      `?StudyInstanceUID=${instance.studyInstanceUid}`,
    );
    expect(after.status).toBe(200);
    expect(await after.json()).toHaveLength(1);
  });

  it('#12: a token in the access_token query parameter is ignored (401)', async () => {
    const token = await tokenFor(['admin']);
    const response = await qido({}, `?access_token=${token}`);
    expect(response.status).toBe(401);
    expect((await problemOf(response)).code).toBe('auth.unauthenticated');
  });

  it('#12: the CORS preflight OHIF sends allows the Authorization header without credentials', async () => {
    const response = await fetch(`${server.base}/studies`, {
      method: 'OPTIONS',
      headers: {
        Origin: VIEWER,
        'Access-Control-Request-Method': 'GET',
        'Access-Control-Request-Headers': 'authorization',
      },
    });
    expect(response.status).toBeLessThan(300);
    expect(response.headers.get('access-control-allow-origin')).toBe(VIEWER);
    expect(response.headers.get('access-control-allow-headers')?.toLowerCase()).toContain(
      'authorization',
    );
    // And the answer to the real request is readable by the viewer, refusals included.
    const refused = await qido({ Origin: VIEWER });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('access-control-allow-origin')).toBe(VIEWER);
    await refused.arrayBuffer();
  });
});

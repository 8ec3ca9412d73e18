import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeInstance } from './helpers/make-dicom.js';
import { multipartRelated } from './helpers/multipart.js';
import { startTestServer, testDb, type TestServer } from './helpers/server.js';

/**
 * CORS (Fetch standard, CORS protocol) over real HTTP: `*` lets any origin read, origins named
 * in CORS_ORIGINS may also store and delete, and no answer ever allows credentials.
 */
const VIEWER = 'https://viewer.example.org';
const STRANGER = 'https://stranger.example';
let open: TestServer; // CORS_ORIGINS default (*)
let named: TestServer; // CORS_ORIGINS=*,VIEWER

beforeAll(async () => {
  [open, named] = await Promise.all([
    startTestServer(),
    startTestServer({ CORS_ORIGINS: `*,${VIEWER}` }),
  ]);
});
afterAll(async () => {
  await Promise.all([open?.close(), named?.close()]);
});

function preflight(url: string, origin: string, method: string, headers?: string) {
  return fetch(url, {
    method: 'OPTIONS',
    headers: {
      Origin: origin,
      'Access-Control-Request-Method': method,
      ...(headers ? { 'Access-Control-Request-Headers': headers } : {}),
    },
  });
}

const allowHeaders = (r: Response) =>
  (r.headers.get('access-control-allow-headers') ?? '').toLowerCase().split(/\s*,\s*/);

describe(`CORS (${testDb})`, () => {
  it("#12: answers OHIF's preflight for a QIDO with a token: any origin may read, without credentials", async () => {
    // What Chromium sends before OHIF's study list fetch with `Authorization: Bearer …` and
    // `Accept: application/dicom+json` (Accept is listed: DICOMweb media types with quotes or
    // parameters are not CORS-safelisted values).
    const response = await preflight(
      `${open.base}/studies?limit=101&offset=0&fuzzymatching=false&includefield=00081030%2C00080060`,
      'http://localhost:3000',
      'GET',
      'accept,authorization',
    );
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    expect(response.headers.get('access-control-allow-methods')).toMatch(/GET/);
    expect(allowHeaders(response)).toEqual(
      expect.arrayContaining(['authorization', 'accept', 'content-type', 'range', 'if-none-match']),
    );
    expect(response.headers.get('access-control-allow-credentials')).toBeNull();
  });

  it('lets any origin read the answer of a GET, errors included, and exposes the viewer headers', async () => {
    const search = await fetch(`${open.base}/studies`, { headers: { Origin: STRANGER } });
    expect(search.headers.get('access-control-allow-origin')).toBe('*');
    expect(search.headers.get('access-control-expose-headers')).toMatch(/ETag/);
    expect(search.headers.get('access-control-allow-credentials')).toBeNull();
    await search.arrayBuffer();
    const missing = await fetch(`${open.base}/studies/1.2.3/metadata`, {
      headers: { Origin: STRANGER },
    });
    expect(missing.status).toBe(404);
    expect(missing.headers.get('access-control-allow-origin')).toBe('*');
    await missing.arrayBuffer();
    // Without Origin too: a shared cache may hand this answer to a page of any origin.
    const plain = await fetch(`${open.base}/studies`);
    expect(plain.headers.get('access-control-allow-origin')).toBe('*');
    await plain.arrayBuffer();
  });

  it('#12: gives an origin that is not named no allow headers for a DELETE preflight', async () => {
    for (const server of [open, named]) {
      const response = await preflight(`${server.base}/studies/1.2.3`, STRANGER, 'DELETE');
      expect(response.status).toBe(204);
      expect(response.headers.get('access-control-allow-origin')).toBeNull();
      expect(response.headers.get('access-control-allow-methods')).toBeNull();
      expect(response.headers.get('access-control-allow-headers')).toBeNull();
    }
  });

  it('#12: does not let an origin that is not named read the answer of a STOW', async () => {
    const { body, contentType } = multipartRelated([{ body: makeInstance().bytes }]);
    const response = await fetch(`${open.base}/studies`, {
      method: 'POST',
      headers: { 'Content-Type': contentType, Origin: STRANGER },
      body,
    });
    await response.arrayBuffer();
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('lets a named origin store and delete, echoing the origin, still without credentials', async () => {
    const pre = await preflight(
      `${named.base}/studies`,
      VIEWER,
      'POST',
      'authorization,content-type',
    );
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe(VIEWER);
    expect(pre.headers.get('access-control-allow-methods')).toMatch(/POST/);
    expect(pre.headers.get('access-control-allow-methods')).toMatch(/DELETE/);
    expect(pre.headers.get('access-control-allow-credentials')).toBeNull();
    expect(pre.headers.get('vary')).toMatch(/Origin/);

    const instance = makeInstance();
    const { body, contentType } = multipartRelated([{ body: instance.bytes }]);
    const stored = await fetch(`${named.base}/studies`, {
      method: 'POST',
      headers: { 'Content-Type': contentType, Origin: VIEWER },
      body,
    });
    await stored.arrayBuffer();
    expect(stored.status).toBe(200);
    expect(stored.headers.get('access-control-allow-origin')).toBe(VIEWER);
    expect(stored.headers.get('access-control-allow-credentials')).toBeNull();
    expect(stored.headers.get('vary')).toMatch(/Origin/);

    const removed = await fetch(`${named.base}/studies/${instance.studyInstanceUid}`, {
      method: 'DELETE',
      headers: { Origin: VIEWER },
    });
    await removed.arrayBuffer();
    expect(removed.status).toBeLessThan(300);
    expect(removed.headers.get('access-control-allow-origin')).toBe(VIEWER);
  });

  it('still lets any origin read where origins are also named', async () => {
    const response = await preflight(`${named.base}/studies`, STRANGER, 'GET', 'accept');
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    expect(response.headers.get('access-control-allow-methods')).not.toMatch(/DELETE/);
  });
});

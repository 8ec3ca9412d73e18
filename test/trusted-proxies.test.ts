import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeInstance } from './helpers/make-dicom.js';
import { stow } from './helpers/multipart.js';
import { startTestServer, testDb, type TestServer } from './helpers/server.js';

/**
 * Proxy headers over real HTTP: the tests connect from 127.0.0.1, which the default
 * TRUSTED_PROXIES trusts (a reverse proxy on the same machine) and `10.0.0.0/8` does not.
 */
let trusting: TestServer; // default TRUSTED_PROXIES=127.0.0.1,::1
let distrusting: TestServer; // TRUSTED_PROXIES=10.0.0.0/8

beforeAll(async () => {
  [trusting, distrusting] = await Promise.all([
    startTestServer(),
    startTestServer({ TRUSTED_PROXIES: '10.0.0.0/8' }),
  ]);
});
afterAll(async () => {
  await Promise.all([trusting?.close(), distrusting?.close()]);
});

const HOSTILE = { 'X-Forwarded-Host': 'evil.example', 'X-Forwarded-Proto': 'https' };

/** The RetrieveURL of the stored study in a STOW answer, and in a QIDO for it. */
async function retrieveUrls(server: TestServer, headers: Record<string, string>) {
  const instance = makeInstance();
  const stored = await stow(`${server.base}/studies`, [{ body: instance.bytes }], { headers });
  expect(stored.status).toBe(200);
  const search = await fetch(
    `${server.base}/studies?StudyInstanceUID=${instance.studyInstanceUid}`,
    {
      headers,
    },
  );
  const [study] = (await search.json()) as Record<string, { Value?: string[] }>[];
  return {
    stow: (stored.json as Record<string, { Value?: string[] }>)['00081190']?.Value?.[0],
    qido: study?.['00081190']?.Value?.[0],
  };
}

describe(`trusted proxies (${testDb})`, () => {
  it('#12: X-Forwarded-Host from a peer that is not a trusted proxy does not change RetrieveURL', async () => {
    const urls = await retrieveUrls(distrusting, HOSTILE);
    expect(urls.stow).toMatch(new RegExp(`^${distrusting.url}/dicom-web/studies/`));
    expect(urls.qido).toMatch(new RegExp(`^${distrusting.url}/dicom-web/studies/`));
  });

  it('#12: X-Forwarded-Host from a trusted proxy names the host clients see', async () => {
    const urls = await retrieveUrls(trusting, HOSTILE);
    expect(urls.stow).toMatch(/^https:\/\/evil\.example\/dicom-web\/studies\//);
    expect(urls.qido).toMatch(/^https:\/\/evil\.example\/dicom-web\/studies\//);
  });
});

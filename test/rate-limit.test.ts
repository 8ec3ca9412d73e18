import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeInstance, type GeneratedInstance } from './helpers/make-dicom.js';
import { stow } from './helpers/multipart.js';
import { startTestServer, testDb, type TestServer } from './helpers/server.js';

/**
 * RATE_LIMIT_EXPENSIVE_PER_MINUTE over real HTTP. The tests are anonymous (a loopback server
 * without AUTH_METHODS), so requests count per client address; the peer 127.0.0.1 is a trusted
 * proxy by default, so X-Forwarded-For stands for another client behind it.
 */
let server: TestServer;
let instance: GeneratedInstance;

beforeAll(async () => {
  server = await startTestServer({ RATE_LIMIT_EXPENSIVE_PER_MINUTE: '3' });
  instance = makeInstance();
  expect((await stow(`${server.base}/studies`, [{ body: instance.bytes }])).status).toBe(200);
});
afterAll(async () => {
  await server?.close();
});

const rendered = () =>
  `${server.base}/studies/${instance.studyInstanceUid}/series/${instance.seriesInstanceUid}/instances/${instance.sopInstanceUid}/rendered`;

async function get(url: string, headers: Record<string, string> = {}) {
  const response = await fetch(url, { headers: { Accept: 'image/png', ...headers } });
  const body = Buffer.from(await response.arrayBuffer());
  return { response, body };
}

describe(`expensive request rate limit (${testDb})`, () => {
  it('#12: answers the 4th rendered request in a minute with 429, Retry-After and problem+json; another client goes on', async () => {
    for (let i = 0; i < 3; i++) expect((await get(rendered())).response.status).toBe(200);
    const { response, body } = await get(rendered());
    expect(response.status).toBe(429);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    const retryAfter = Number(response.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    const problem = JSON.parse(body.toString()) as { status: number; code: string };
    expect(problem).toMatchObject({ status: 429, code: 'auth.rate_limited' });

    const other = await get(rendered(), { 'X-Forwarded-For': '198.51.100.20' });
    expect(other.response.status).toBe(200);
  });

  it('#12: does not count narrow searches, and counts broad ones', async () => {
    // The first client used up its budget above.
    for (let i = 0; i < 5; i++) {
      const narrow = await fetch(
        `${server.base}/studies?StudyInstanceUID=${instance.studyInstanceUid}&includefield=all`,
      );
      await narrow.arrayBuffer();
      expect(narrow.status).toBe(200);
    }
    const broad = await fetch(`${server.base}/studies?limit=10`);
    await broad.arrayBuffer();
    expect(broad.status).toBe(429);
  });
});

/**
 * Hardening: decoding and rendering run in a bounded number of slots with a bounded queue
 * (RENDER_CONCURRENCY, RENDER_QUEUE_MAX). With one slot and one queue place, a burst of
 * parallel rendered requests gets 503 problem+json with Retry-After for the excess, and the
 * admitted ones the same image a lone request gets.
 */
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeInstance, type GeneratedInstance } from './helpers/make-dicom.js';
import { stow } from './helpers/multipart.js';
import { startTestServer, type TestServer } from './helpers/server.js';

const SIDE = 2048;
const BURST = 8;

let server: TestServer;
let image: GeneratedInstance;

beforeAll(async () => {
  server = await startTestServer({ RENDER_CONCURRENCY: '1', RENDER_QUEUE_MAX: '1' });
  image = makeInstance({ pixelBytes: SIDE * SIDE * 2 });
  const response = await stow(`${server.base}/studies`, [{ body: image.bytes }]);
  expect(response.status).toBe(200);
}, 120_000);

afterAll(async () => {
  await server?.close();
});

async function render(): Promise<{ response: Response; body: Buffer }> {
  const url = `${server.base}/studies/${image.studyInstanceUid}/series/${image.seriesInstanceUid}/instances/${image.sopInstanceUid}/rendered`;
  const response = await fetch(url, { headers: { Accept: 'image/jpeg' } });
  return { response, body: Buffer.from(await response.arrayBuffer()) };
}

describe('rendering under a burst', () => {
  it('answers the excess 503 with Retry-After, the others 200 with the image a lone request gets', async () => {
    // One slot (the first render, which also starts the worker thread), one queue place: of
    // requests arriving together, at least two are admitted and the rest refused at once.
    const burst = await Promise.all(Array.from({ length: BURST }, () => render()));
    const alone = await render();
    expect(alone.response.status).toBe(200);
    const meta = await sharp(alone.body).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['jpeg', SIDE, SIDE]);

    const admitted = burst.filter((r) => r.response.status === 200);
    const refused = burst.filter((r) => r.response.status === 503);
    expect(admitted.length + refused.length).toBe(BURST);
    expect(admitted.length).toBeGreaterThanOrEqual(2);
    expect(refused.length).toBeGreaterThanOrEqual(1);
    for (const { body } of admitted) expect(body.equals(alone.body)).toBe(true);
    for (const { response, body } of refused) {
      expect(response.headers.get('content-type')).toBe('application/problem+json');
      expect(response.headers.get('retry-after')).toBe('1');
      expect(JSON.parse(body.toString())).toMatchObject({ status: 503, code: 'imaging.busy' });
    }
  });
});

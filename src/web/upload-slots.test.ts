import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../lib/log.js';
import { problemResponse } from './problem.js';
import { uploadSlots } from './upload-slots.js';

const silent = createLogger('silent');

/** An app whose upload handler waits until the test releases it, or fails when asked to. */
function appWithSlots(maxUploads: number, maxUploadsPerClient: number) {
  const waiting: (() => void)[] = [];
  const app = new Hono();
  app.post('/upload', uploadSlots({ maxUploads, maxUploadsPerClient }), async (c) => {
    if (c.req.query('fail') !== undefined) throw new Error('handler failed');
    await new Promise<void>((resolve) => waiting.push(resolve));
    return c.text('stored');
  });
  app.onError((error, c) => problemResponse(error, c, silent));
  const started = async (count: number) => {
    for (let i = 0; i < 100 && waiting.length < count; i++)
      await new Promise((r) => setImmediate(r));
    expect(waiting.length).toBe(count);
  };
  return { app, waiting, started };
}

describe('uploadSlots', () => {
  it('refuses the upload over the per-client cap with 429 and Retry-After, then frees the slot', async () => {
    const { app, waiting, started } = appWithSlots(0, 1);
    const first = app.request('/upload', { method: 'POST' });
    await started(1);
    const refused = await app.request('/upload', { method: 'POST' });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('Retry-After')).toBe('5');
    expect(((await refused.json()) as { code: string }).code).toBe('web.client_uploads_busy');
    waiting.shift()!();
    expect((await first).status).toBe(200);
    const again = app.request('/upload', { method: 'POST' });
    await started(1);
    waiting.shift()!();
    expect((await again).status).toBe(200);
  });

  it('refuses the upload over the overall cap with 503', async () => {
    const { app, waiting, started } = appWithSlots(1, 0);
    const first = app.request('/upload', { method: 'POST' });
    await started(1);
    const refused = await app.request('/upload', { method: 'POST' });
    expect(refused.status).toBe(503);
    expect(((await refused.json()) as { code: string }).code).toBe('web.uploads_busy');
    waiting.shift()!();
    await first;
  });

  it('gives the slot back when the handler fails', async () => {
    const { app, waiting, started } = appWithSlots(1, 1);
    expect((await app.request('/upload?fail', { method: 'POST' })).status).toBe(500);
    const next = app.request('/upload', { method: 'POST' });
    await started(1);
    waiting.shift()!();
    expect((await next).status).toBe(200);
  });
});

import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { Readable } from 'node:stream';
import { createAdaptorServer } from '@hono/node-server';
import { Hono, type Context } from 'hono';
import { afterEach, describe, expect, it } from 'vitest';
import { BufferPool, CHUNK_LENDER } from '../lib/buffer-pool.js';
import type { Logger } from '../lib/log.js';
import { directResponse, sendDirectBodies } from './direct-body.js';
import { pump } from './pump.js';

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const servers: Server[] = [];

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** A body of `total` bytes in `chunk`-sized pieces, counting what was pulled from it. */
function source(total: number, chunk: number, pool?: BufferPool) {
  const bytes = randomBytes(total);
  const state = { pulled: 0, destroyed: false };
  const stream = new Readable({
    highWaterMark: chunk,
    read() {
      if (state.pulled >= total) return void this.push(null);
      const n = Math.min(chunk, total - state.pulled);
      const out = pool ? pool.take().subarray(0, n) : Buffer.alloc(n);
      bytes.copy(out, 0, state.pulled, state.pulled + n);
      state.pulled += n;
      this.push(out);
    },
    destroy(error, callback) {
      state.destroyed = true;
      callback(error);
    },
  });
  if (pool) Object.assign(stream, { [CHUNK_LENDER]: pool });
  return { bytes, state, stream };
}

/** An app as createApp builds it: direct bodies outermost, a header set after the handler. */
async function serve(
  handler: (c: Context) => Response | Promise<Response>,
  after?: (c: Context) => void,
) {
  const app = new Hono();
  app.use(sendDirectBodies(silent));
  app.use(async (c, next) => {
    c.header('X-Before', 'set before the handler');
    await next();
    c.header('X-After', 'set after the handler');
    after?.(c);
  });
  app.get('/', handler);
  const server = createAdaptorServer({ fetch: app.fetch }) as Server;
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

function direct(c: Context, stream: Readable, released = { count: 0 }) {
  const response = directResponse(
    c,
    200,
    { 'Content-Type': 'application/octet-stream' },
    {
      write: (sink) => pump(stream, sink),
      release: () => {
        released.count++;
        stream.destroy();
      },
    },
  );
  if (!response) throw new Error('no Node response');
  return response;
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!check()) throw new Error(`timed out waiting for ${what}`);
}

describe('directResponse', () => {
  it('sends the body byte for byte, with headers set before and after the handler', async () => {
    const pool = new BufferPool(64 * 1024, 1024 * 1024);
    const { bytes, stream } = source(1_000_000, 64 * 1024, pool);
    const url = await serve((c) => direct(c, stream));
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/octet-stream');
    expect(response.headers.get('x-before')).toBe('set before the handler');
    expect(response.headers.get('x-after')).toBe('set after the handler');
    expect(response.headers.get('x-hono-already-sent')).toBeNull();
    expect(Buffer.from(await response.arrayBuffer()).equals(bytes)).toBe(true);
    // The socket took every chunk: they went back to the pool.
    expect(pool.idle).toBeGreaterThan(0);
  });

  it('is undefined without a Node response (app.request), so callers send a Web body', async () => {
    const app = new Hono();
    let made: Response | undefined = new Response();
    app.get('/', (c) => {
      made = directResponse(c, 200, {}, { write: () => Promise.resolve(), release: () => {} });
      return c.text('web');
    });
    await app.request('/');
    expect(made).toBeUndefined();
  });

  it('is undefined in an app without sendDirectBodies(), where nobody would write the body', async () => {
    const app = new Hono();
    let made: Response | undefined = new Response();
    app.get('/', (c) => {
      made = directResponse(c, 200, {}, { write: () => Promise.resolve(), release: () => {} });
      return c.text('web');
    });
    const server = createAdaptorServer({ fetch: app.fetch }) as Server;
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    expect(await response.text()).toBe('web');
    expect(made).toBeUndefined();
  });

  it('releases the body unwritten when a later middleware replaces the answer', async () => {
    const released = { count: 0 };
    const { stream, state } = source(100_000, 1000);
    const url = await serve(
      (c) => direct(c, stream, released),
      (c) => {
        c.res = new Response('replaced', { status: 503 });
      },
    );
    const response = await fetch(url);
    expect(response.status).toBe(503);
    expect(await response.text()).toBe('replaced');
    expect(released.count).toBe(1);
    expect(state.pulled).toBe(0);
  });

  it('answers HEAD with the headers only, releasing the body', async () => {
    const released = { count: 0 };
    const { stream, state } = source(100_000, 1000);
    const url = await serve((c) => direct(c, stream, released));
    const response = await fetch(url, { method: 'HEAD' });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-after')).toBe('set after the handler');
    expect(released.count).toBe(1);
    expect(state.pulled).toBe(0);
  });

  it('stops reading from a client that does not read (backpressure), then sends it all', async () => {
    const total = 64 * 1024 * 1024;
    const { stream, state } = source(total, 256 * 1024);
    const url = await serve((c) => direct(c, stream));
    const { port } = new URL(url);
    const socket = connect(Number(port), '127.0.0.1');
    socket.pause();
    socket.write('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    await until(() => state.pulled > 0, 'the first read');
    // Kernel socket buffers on loopback hold a few MB at most; far less than the 64 MB body.
    let last = -1;
    for (let i = 0; i < 20 && state.pulled !== last; i++) {
      last = state.pulled;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(state.pulled).toBeLessThan(16 * 1024 * 1024);
    let received = 0;
    socket.on('data', (chunk: Buffer) => (received += chunk.length));
    socket.resume();
    await new Promise((resolve) => socket.once('close', resolve));
    expect(state.pulled).toBe(total);
    expect(received).toBeGreaterThan(total);
  });

  it('destroys the body (closing its file) when the client goes away mid-body', async () => {
    const { stream, state } = source(64 * 1024 * 1024, 256 * 1024);
    const url = await serve((c) => direct(c, stream));
    const { port } = new URL(url);
    const socket = connect(Number(port), '127.0.0.1');
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await new Promise((resolve) => socket.once('data', resolve));
    socket.destroy();
    await until(() => state.destroyed, 'the body to be destroyed');
    expect(state.pulled).toBeLessThan(64 * 1024 * 1024);
  });
});

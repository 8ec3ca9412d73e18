import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { createAdaptorServer } from '@hono/node-server';
import { Hono, type Context } from 'hono';
import { afterEach, describe, expect, it } from 'vitest';
import { sendDirectBodies } from './direct-body.js';
import type { Representation, RepresentationBody } from '../services/representation.js';
import { respond, type RespondOptions } from './representation.js';

const ETAG = '"abc"';

function plan(body: RepresentationBody, extra: Partial<Representation> = {}) {
  const opened = { count: 0 };
  const representation: Representation = {
    etag: ETAG,
    revalidate: false,
    open: () => {
      opened.count++;
      return Promise.resolve(body);
    },
    ...extra,
  };
  return { representation, opened };
}

async function get(
  representation: Representation,
  headers: Record<string, string> = {},
  options: RespondOptions = {},
) {
  const app = new Hono();
  app.get('/', (c) => respond(c, representation, options));
  const response = await app.request('/', { headers });
  return { response, bytes: Buffer.from(await response.arrayBuffer()) };
}

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** The same through @hono/node-server, as served: bodies go straight to the Node response. */
async function served(
  representation: Representation,
  after: (c: Context) => void = () => undefined,
) {
  const app = new Hono();
  app.use(sendDirectBodies({ debug() {}, info() {}, warn() {}, error() {} }));
  app.use(async (c, next) => {
    await next();
    after(c);
  });
  app.get('/', (c) => respond(c, representation));
  const server = createAdaptorServer({ fetch: app.fetch }) as Server;
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const response = await fetch(`http://127.0.0.1:${port}/`);
  return { response, bytes: Buffer.from(await response.arrayBuffer()) };
}

describe('respond', () => {
  it('answers 304 with the validators for a matching If-None-Match, without opening the body', async () => {
    const { representation, opened } = plan({
      kind: 'single',
      mediaType: 'application/dicom+json',
      body: Buffer.from('[]'),
    });
    for (const header of [ETAG, `"x", W/${ETAG}`, '*']) {
      const { response, bytes } = await get(representation, { 'If-None-Match': header });
      expect(response.status).toBe(304);
      expect(bytes.length).toBe(0);
      expect(response.headers.get('ETag')).toBe(ETAG);
      expect(response.headers.get('Cache-Control')).toBe('private, max-age=3600');
      expect(response.headers.get('Vary')).toBe('Accept');
    }
    expect(opened.count).toBe(0);
    const { response } = await get(representation, { 'If-None-Match': '"other"' });
    expect(response.status).toBe(200);
    expect(opened.count).toBe(1);
  });

  it('sets revalidation, Accept-Ranges and CORP from the plan and the route', async () => {
    const { representation } = plan(
      { kind: 'single', mediaType: 'image/png', body: Buffer.from('png') },
      { revalidate: true, byteRanges: true },
    );
    const { response, bytes } = await get(representation, {}, { crossOrigin: true });
    expect(response.status).toBe(200);
    expect(bytes.toString()).toBe('png');
    expect(response.headers.get('Content-Type')).toBe('image/png');
    expect(response.headers.get('Cache-Control')).toBe('private, no-cache');
    expect(response.headers.get('Accept-Ranges')).toBe('bytes');
    expect(response.headers.get('Cross-Origin-Resource-Policy')).toBe('cross-origin');
  });

  it('answers a range with 206, Content-Range and its length', async () => {
    const { representation } = plan({
      kind: 'single',
      mediaType: 'application/octet-stream',
      body: Readable.from([Buffer.from('cde')]),
      range: { start: 2, end: 4, size: 10 },
    });
    const { response, bytes } = await get(representation);
    expect(response.status).toBe(206);
    expect(response.headers.get('Content-Range')).toBe('bytes 2-4/10');
    expect(response.headers.get('Content-Length')).toBe('3');
    expect(bytes.toString()).toBe('cde');
  });

  it('writes multipart/related parts, in memory or streamed, byte for byte', async () => {
    const parts = [
      { mediaType: 'image/jpeg; transfer-syntax=1.2.840.10008.1.2.4.50', body: Buffer.from('one') },
    ];
    const streamed = async function* () {
      yield* await Promise.resolve(parts);
      yield { mediaType: 'image/jpeg', body: Readable.from([Buffer.from('tw'), Buffer.from('o')]) };
    };
    for (const [body, text] of [
      [parts, 'one'],
      [streamed(), 'one\r\n--B\r\nContent-Type: image/jpeg\r\n\r\ntwo'],
    ] as const) {
      const { representation } = plan({ kind: 'multipart', type: 'image/jpeg', parts: body });
      const { response, bytes } = await get(representation);
      const type = response.headers.get('Content-Type') ?? '';
      const boundary = /boundary=(.+)$/.exec(type)?.[1] ?? '';
      expect(type).toBe(`multipart/related; type="image/jpeg"; boundary=${boundary}`);
      expect(bytes.toString().replaceAll(boundary, 'B')).toBe(
        `--B\r\nContent-Type: ${parts[0]!.mediaType}\r\n\r\n${text}\r\n--B--\r\n`,
      );
    }
  });

  it('sends an archive as application/zip with its file name', async () => {
    async function* entries() {
      yield await Promise.resolve({
        name: '1.2/3.4/5.6.dcm',
        body: Readable.from([Buffer.from('x')]),
      });
    }
    const { representation } = plan({ kind: 'archive', name: '1.2', entries: entries() });
    const { response, bytes } = await get(representation);
    expect(response.headers.get('Content-Type')).toBe('application/zip');
    expect(response.headers.get('Content-Disposition')).toBe('attachment; filename="1.2.zip"');
    expect(bytes.readUInt32LE(0)).toBe(0x04034b50); // a local file header first (APPNOTE 4.3.7)
  });
});

describe('respond under @hono/node-server (bodies written to the Node response)', () => {
  const big = Buffer.alloc(3 * 1024 * 1024 + 17, 7);

  function streamedParts() {
    return async function* () {
      yield await Promise.resolve({ mediaType: 'application/dicom', body: Buffer.from('one') });
      yield {
        mediaType: 'application/dicom',
        body: Readable.from([big.subarray(0, 1000), big.subarray(1000)]),
      };
    };
  }

  it('sends the bytes app.request() gets, with the headers of every layer', async () => {
    const web = await get(
      plan({ kind: 'multipart', type: 'application/dicom', parts: streamedParts()() })
        .representation,
    );
    const node = await served(
      plan({ kind: 'multipart', type: 'application/dicom', parts: streamedParts()() })
        .representation,
      (c) => c.header('Access-Control-Allow-Origin', '*'),
    );
    const boundary = (r: Response) =>
      /boundary=(.+)$/.exec(r.headers.get('Content-Type') ?? '')?.[1] ?? '';
    expect(node.response.status).toBe(200);
    expect(node.response.headers.get('Access-Control-Allow-Origin')).toBe('*');
    expect(node.response.headers.get('ETag')).toBe(ETAG);
    expect(node.bytes.toString('latin1').replaceAll(boundary(node.response), 'B')).toBe(
      web.bytes.toString('latin1').replaceAll(boundary(web.response), 'B'),
    );
  });

  it('sends a single stream with its length, and a range as 206', async () => {
    const whole = await served(
      plan({
        kind: 'single',
        mediaType: 'application/dicom',
        body: Readable.from([big]),
        length: big.length,
      }).representation,
    );
    expect(whole.response.headers.get('Content-Length')).toBe(String(big.length));
    expect(whole.bytes.equals(big)).toBe(true);
    const part = await served(
      plan({
        kind: 'single',
        mediaType: 'application/octet-stream',
        body: Readable.from([Buffer.from('cde')]),
        range: { start: 2, end: 4, size: 10 },
      }).representation,
    );
    expect(part.response.status).toBe(206);
    expect(part.response.headers.get('Content-Range')).toBe('bytes 2-4/10');
    expect(part.bytes.toString()).toBe('cde');
  });

  it('closes the opened parts when a later layer answers something else instead', async () => {
    const first = Readable.from([Buffer.from('never sent')]);
    const ahead = Readable.from([Buffer.from('opened ahead')]);
    async function* parts() {
      try {
        yield await Promise.resolve({ mediaType: 'application/dicom', body: first });
        yield { mediaType: 'application/dicom', body: ahead };
      } finally {
        ahead.destroy();
      }
    }
    const { response, bytes } = await served(
      plan({ kind: 'multipart', type: 'application/dicom', parts: parts() }).representation,
      (c) => {
        c.res = new Response('busy', { status: 503 });
      },
    );
    expect(response.status).toBe(503);
    expect(bytes.toString()).toBe('busy');
    await new Promise((resolve) => setImmediate(resolve));
    expect(first.destroyed).toBe(true);
    expect(ahead.destroyed).toBe(true);
  });
});

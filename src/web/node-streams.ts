import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { Context } from 'hono';

/**
 * Web ↔ Node stream conversions, in one place. Under @hono/node-server the request body is read
 * straight from the Node `IncomingMessage` (no Web-stream round trip per chunk); elsewhere (tests
 * through `app.request()`) from the Fetch body. Reading `c.req.raw.signal`, `.headers` or `.url`
 * does not touch the body; reading `c.req.raw.body` would, so only this function reads it.
 */
export function requestBody(c: Context): Readable {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  if (incoming) return incoming;
  const body = c.req.raw.body;
  if (!body) return Readable.from([]);
  return Readable.fromWeb(body as WebReadableStream<Uint8Array>);
}

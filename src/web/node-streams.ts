import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { Context } from 'hono';

/** The Node request and response under @hono/node-server; absent under `app.request()`. */
export interface NodeExchange {
  incoming: IncomingMessage;
  outgoing: ServerResponse;
}

export function nodeExchange(c: Context): NodeExchange | undefined {
  const env = c.env as Partial<NodeExchange> | undefined;
  return env?.incoming && env.outgoing
    ? { incoming: env.incoming, outgoing: env.outgoing }
    : undefined;
}

/** True when the request announces a body (RFC 9112 6.3: Content-Length or Transfer-Encoding). */
export function announcesBody(incoming: IncomingMessage): boolean {
  const length = incoming.headers['content-length'];
  return incoming.headers['transfer-encoding'] !== undefined || (!!length && length !== '0');
}

/**
 * Ends the request body stream (with `error`, if given) but keeps the connection for the answer:
 * nothing reads the rest of the body any more. Destroying an IncomingMessage destroys its socket,
 * so the socket is detached first — what Node's own stream destroyer does for server requests
 * (lib/internal/streams/destroy.js, used by `pipeline`).
 */
export function abandonBody(incoming: IncomingMessage, error?: Error): void {
  (incoming as { socket: Socket | null }).socket = null;
  incoming.destroy(error);
}

/**
 * Web ↔ Node stream conversions, in one place. Under @hono/node-server the request body is read
 * straight from the Node `IncomingMessage` (no Web-stream round trip per chunk); elsewhere (tests
 * through `app.request()`) from the Fetch body. Reading `c.req.raw.signal`, `.headers` or `.url`
 * does not touch the body; reading `c.req.raw.body` would, so only this function reads it.
 */
export function requestBody(c: Context): Readable {
  const incoming = nodeExchange(c)?.incoming;
  if (incoming) return incoming;
  const body = c.req.raw.body;
  if (!body) return Readable.from([]);
  return Readable.fromWeb(body as WebReadableStream<Uint8Array>);
}

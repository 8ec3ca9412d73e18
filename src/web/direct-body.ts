import type { OutgoingHttpHeaders } from 'node:http';
import type { Writable } from 'node:stream';
import type { Context, MiddlewareHandler } from 'hono';
import type { Logger } from '../lib/log.js';
import { nodeExchange } from './node-streams.js';
import { ResponseClosedError } from './pump.js';

/**
 * @hono/node-server leaves a bodyless response with this header alone (its
 * RESPONSE_ALREADY_SENT): the body is ours to write.
 */
const ALREADY_SENT = 'x-hono-already-sent';

/** Writes the whole body into the Node response (without ending it); rejects if it cannot. */
export type BodyWriter = (sink: Writable) => Promise<void>;

interface Pending {
  write: BodyWriter;
  /** Frees what the body holds (open files, a parts iterator) when it is never written. */
  release: () => void;
}

const pending = new WeakMap<Context, Pending>();
/** Requests under sendDirectBodies(): only there is anyone left to write a stand-in's body. */
const armed = new WeakSet<Context>();

/**
 * A response whose body `write` puts straight into the Node ServerResponse: no Web stream in
 * between (Readable.toWeb copies every chunk, and @hono/node-server reads it back chunk by chunk),
 * and chunks lent from a buffer pool go back to it once the socket has taken them (web/pump.ts).
 *
 * The handler returns a bodyless stand-in; sendDirectBodies(), the outermost middleware, writes
 * the status line with the headers of the final response — so those set by middleware after the
 * handler (CORS, request id, Connection: close) are sent — then the body. If the final response
 * is another one (an error answer replaced it), the body is released unwritten.
 *
 * Undefined outside @hono/node-server (`app.request()` in tests) or without sendDirectBodies()
 * in the app: send a Web body instead.
 */
export function directResponse(
  c: Context,
  status: 200 | 206,
  headers: Record<string, string>,
  body: Pending,
): Response | undefined {
  if (!armed.has(c) || !nodeExchange(c)) return undefined;
  pending.set(c, body);
  return c.body(null, status, { ...headers, [ALREADY_SENT]: 'true' });
}

/**
 * The first middleware of the app (so the last to see the response): starts the bodies of
 * directResponse(). A body that fails once the status line is sent can only be cut: the socket
 * is destroyed, so the client sees a truncated response, never a silently short one.
 */
export function sendDirectBodies(log: Logger): MiddlewareHandler {
  return async (c, next) => {
    armed.add(c);
    try {
      await next();
    } catch (error) {
      pending.get(c)?.release();
      pending.delete(c);
      throw error;
    }
    const body = pending.get(c);
    if (!body) return;
    pending.delete(c);
    const outgoing = nodeExchange(c)?.outgoing;
    const res = c.res;
    if (!outgoing || res.body !== null || res.headers.get(ALREADY_SENT) === null) {
      body.release();
      return;
    }
    outgoing.writeHead(res.status, outgoingHeaders(res.headers));
    if (c.req.method === 'HEAD') {
      body.release();
      outgoing.end();
      return;
    }
    body.write(outgoing).then(
      () => void outgoing.end(),
      (error: unknown) => {
        if (!(error instanceof ResponseClosedError)) {
          log.warn('response body failed after the status line; connection closed', {
            error: error instanceof Error ? error.message : String(error),
          });
        }
        outgoing.destroy();
      },
    );
  };
}

function outgoingHeaders(headers: Headers): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  headers.forEach((value, name) => {
    if (name !== ALREADY_SENT && name !== 'set-cookie') out[name] = value;
  });
  const cookies = headers.getSetCookie();
  if (cookies.length > 0) out['set-cookie'] = cookies;
  return out;
}

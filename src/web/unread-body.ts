import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { MiddlewareHandler } from 'hono';
import { abandonBody, nodeExchange } from './node-streams.js';

/**
 * Go net/http's maxPostHandlerReadBytes: an answer given before the body was read (a refusal) is
 * followed by reading at most this much of the rest, so a small body keeps its connection.
 */
const DRAIN_LIMIT_BYTES = 256 * 1024;
/** How long the rest of a small body may take to arrive before the connection is given up. */
const DRAIN_DEADLINE_MS = 1000;
/**
 * Go net/http's rstAvoidanceDelay: after the answer and our FIN, wait this long before closing a
 * socket that still has unread body bytes; closing at once makes the kernel send a reset, which
 * can destroy the answer in the client's receive buffer before the client has read it.
 */
const LINGER_MS = 500;

/**
 * Keeps HTTP/1.1 connections sound after an answer given before the request body was read (415,
 * 413, 400, 429/503 of the upload caps, a STOW part refused by the scanner, an idle timeout).
 * The rest of the body still sits on the connection in front of the next request, so it is
 * either read and dropped (up to DRAIN_LIMIT_BYTES) and the connection kept, or the answer
 * carries `Connection: close` (RFC 9112 9.6) and the socket closes gracefully after it.
 */
export function unreadBody(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    const node = nodeExchange(c);
    if (!node || node.incoming.readableEnded) return;
    const { incoming, outgoing } = node;
    // `complete`: the parser has the whole message; only our buffer holds some of it.
    if (incoming.complete && !incoming.destroyed) {
      incoming.resume();
      return;
    }
    if (!incoming.destroyed && (await drained(incoming))) return;
    // Nothing may read on (@hono/node-server drains after the answer): the parser would reach
    // requests pipelined behind this one on a connection that is closing.
    if (!incoming.destroyed) abandonBody(incoming);
    c.res.headers.set('Connection', 'close');
    if (outgoing.socket) lingerOnClose(outgoing.socket);
  };
}

/** Reads and drops the rest of the body; true when it ended within the limits. */
function drained(incoming: IncomingMessage): Promise<boolean> {
  return new Promise((resolve) => {
    let seen = 0;
    const done = (ended: boolean) => {
      clearTimeout(timer);
      incoming.off('data', onData).off('end', onEnd).off('error', onFail).off('close', onFail);
      resolve(ended);
    };
    const onData = (chunk: Buffer) => {
      seen += chunk.length;
      if (seen > DRAIN_LIMIT_BYTES) done(false);
    };
    const onEnd = () => done(true);
    const onFail = () => done(false);
    const timer = setTimeout(() => done(false), DRAIN_DEADLINE_MS);
    incoming.on('data', onData).once('end', onEnd).once('error', onFail).once('close', onFail);
    incoming.resume();
  });
}

/**
 * Node ends a `Connection: close` exchange with `socket.destroySoon()`: FIN, then close as soon as
 * the answer is flushed. For this socket, wait LINGER_MS between the two (Go's closeWriteAndWait).
 */
function lingerOnClose(socket: Socket): void {
  socket.destroySoon = () => {
    socket.end(() => setTimeout(() => socket.destroy(), LINGER_MS).unref());
  };
}

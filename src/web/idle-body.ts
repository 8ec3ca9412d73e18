import type { MiddlewareHandler } from 'hono';
import { RequestIdleError } from './errors.js';
import { abandonBody, announcesBody, nodeExchange } from './node-streams.js';

/**
 * Ends a request whose client sends no body byte for `idleSeconds` (0 = never): a stalled upload
 * would otherwise hold its socket, its upload slot and a temp file until the request timeout.
 *
 * Uses the socket's inactivity timeout, armed only while a request body is being received:
 * requests without a body (every WADO download, however slow its reader) are never timed. When it
 * fires with bytes still waiting in our own buffer, the slow side is us (storage backpressure),
 * not the client, and the timer is re-armed. Otherwise the body stream fails with
 * RequestIdleError: the handler abandons the part in flight as for a hang-up (its blob is
 * discarded) and the client gets 408, sent with `Connection: close` by unread-body.ts.
 */
export function idleBody(idleSeconds: number): MiddlewareHandler {
  return async (c, next) => {
    const node = nodeExchange(c);
    const socket = node?.incoming.socket;
    if (idleSeconds === 0 || !node || !socket || !announcesBody(node.incoming)) return next();
    const { incoming, outgoing } = node;
    const idleMs = idleSeconds * 1000;
    // Node emits a socket timeout on the response of the exchange in progress; a listener there
    // also stops Node from destroying the socket itself.
    const onTimeout = () => {
      if (incoming.complete || incoming.destroyed) socket.setTimeout(0);
      else if (incoming.readableLength > 0) socket.setTimeout(idleMs);
      else abandonBody(incoming, new RequestIdleError(idleSeconds));
    };
    outgoing.on('timeout', onTimeout);
    socket.setTimeout(idleMs);
    try {
      await next();
    } finally {
      outgoing.off('timeout', onTimeout);
      // Keep-alive timing after the answer is Node's (keepAliveTimeout), not ours.
      if (!socket.destroyed) socket.setTimeout(0);
    }
  };
}

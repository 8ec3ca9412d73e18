import type { Server } from 'node:http';
import type { Socket } from 'node:net';

export interface ConnectionLimits {
  /** Open connections overall (0 = no limit); Node drops the ones over it at accept. */
  maxConnections: number;
  /** Open connections from one client address (0 = no limit). */
  maxConnectionsPerClient: number;
}

/**
 * Caps open connections overall and per client address, so one client cannot hold every socket
 * (and file descriptor) of the server. A connection over the per-client cap is closed before
 * any request is read, as Node does for `maxConnections`. The address is the TCP peer's: behind
 * a reverse proxy, that is the proxy's.
 */
export function limitConnections(server: Server, limits: ConnectionLimits): void {
  if (limits.maxConnections > 0) server.maxConnections = limits.maxConnections;
  const max = limits.maxConnectionsPerClient;
  if (max === 0) return;
  const open = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const client = socket.remoteAddress ?? 'unknown';
    const count = open.get(client) ?? 0;
    if (count >= max) {
      socket.destroy();
      return;
    }
    open.set(client, count + 1);
    socket.once('close', () => {
      const left = (open.get(client) ?? 1) - 1;
      if (left === 0) open.delete(client);
      else open.set(client, left);
    });
  });
}

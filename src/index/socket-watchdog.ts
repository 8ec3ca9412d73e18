import { connect, type Socket } from 'node:net';

/** What postgres.js hands its `socket` option: parsed hosts and ports, or a Unix socket path. */
export interface SocketTarget {
  host: string[];
  port: number[];
  path?: string | false;
  ssl?: unknown;
}

/**
 * A postgres.js `socket` factory whose connections die when the database stops answering.
 *
 * postgres.js has no query timeout, and PostgreSQL's statement_timeout cannot help when the
 * server or the network stalls (nothing comes back, not even the cancellation): a query would
 * wait for TCP keep-alive, which a stalled peer or proxy keeps satisfied. So the socket is
 * watched: a connection that owes an answer and receives nothing for `timeoutMs` is destroyed
 * with code `QUERY_TIMEOUT`. postgres.js then rejects the queries on it (errors.ts maps the code
 * to IndexUnavailableError) and opens a fresh connection for the next query.
 *
 * "Owes an answer": we wrote since the connection was last idle, and the bytes received so far
 * do not end with ReadyForQuery (PostgreSQL docs, Message Formats: 'Z', length 5), which
 * the server sends when it has finished everything asked. An idle pooled connection is never
 * touched; a misreading can only close a connection postgres.js then reopens.
 *
 * With TLS the bytes on this socket are ciphertext, so TLS connections are not watched
 * (statement_timeout and connect_timeout still apply).
 */
export function watchedSockets(timeoutMs: number): (target: SocketTarget) => Socket {
  let next = 0;
  return (target) => {
    // postgres.js rotates hosts itself only for its own sockets; do the same for ours.
    const i = next++ % target.host.length;
    const host = target.host[i] ?? 'localhost';
    const socket = target.path ? connect(target.path) : connect(target.port[i] ?? 5432, host);
    // postgres.js reads `host` for TLS SNI; writes before 'connect' are queued by net.Socket.
    Object.assign(socket, { host });
    if (!target.ssl) watch(socket, timeoutMs);
    return socket;
  };
}

/** ReadyForQuery: 'Z', Int32 length 5, transaction status 'I' | 'T' | 'E'. */
function endsWithReadyForQuery(tail: Buffer): boolean {
  const n = tail.length;
  return (
    n >= 6 &&
    tail[n - 6] === 0x5a &&
    tail.readUInt32BE(n - 5) === 5 &&
    [0x49, 0x54, 0x45].includes(tail[n - 1]!)
  );
}

function watch(socket: Socket, timeoutMs: number): void {
  /** Since when the connection has owed an answer with nothing arriving; undefined = idle. */
  let waitingSince: number | undefined;
  let tail = Buffer.alloc(0);

  const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
  socket.write = (...args: unknown[]) => {
    waitingSince ??= performance.now();
    return write(...args);
  };
  // Attached before postgres.js's own listener, which it adds before anything is sent.
  socket.on('data', (chunk: Buffer) => {
    tail = Buffer.concat([tail, chunk.subarray(-6)]).subarray(-6);
    waitingSince = endsWithReadyForQuery(tail) ? undefined : performance.now();
  });

  const tick = setInterval(
    () => {
      if (waitingSince === undefined || performance.now() - waitingSince < timeoutMs) return;
      clearInterval(tick);
      socket.destroy(queryTimeout(timeoutMs));
    },
    Math.max(20, Math.min(1000, timeoutMs / 4)),
  );
  tick.unref();
  socket.once('close', () => clearInterval(tick));
}

function queryTimeout(timeoutMs: number): Error {
  return Object.assign(new Error(`the database sent nothing back for ${timeoutMs} ms`), {
    code: 'QUERY_TIMEOUT',
  });
}

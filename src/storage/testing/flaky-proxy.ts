import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * One canned failure: the status, headers and body a throttling or failing service sends, or
 * `hang: true` for a service that accepts the request and never answers (timeouts).
 */
export interface CannedFailure {
  status: number;
  hang?: boolean;
  headers?: Record<string, string>;
  body?: string;
}

export interface FlakyProxy {
  /** http://127.0.0.1:<port> — point the client here instead of at the emulator. */
  url: string;
  /** How many requests were answered with the canned failure so far. */
  failed(): number;
  /** Answer the next `count` requests that `match` with `failure` instead of forwarding them. */
  failNext(count: number, failure: CannedFailure, match?: (req: IncomingMessage) => boolean): void;
  stop(): Promise<void>;
}

/**
 * A plain HTTP proxy in front of an emulator that answers chosen requests with a canned error
 * (S3 503 SlowDown, Azure 503 ServerBusy) and forwards every other request unchanged — method,
 * path, headers (Host included, so request signatures still verify) and streamed body. It lets
 * the retry tests use the real SDK against a real emulator, since neither emulator throttles.
 */
export async function startFlakyProxy(target: string): Promise<FlakyProxy> {
  const to = new URL(target);
  let remaining = 0;
  let failure: CannedFailure = { status: 503 };
  let match: (req: IncomingMessage) => boolean = () => true;
  let failedCount = 0;
  const server: Server = createServer((req, res) => {
    if (remaining > 0 && match(req)) {
      remaining--;
      failedCount++;
      req.resume();
      if (failure.hang) return; // stop() closes the connection
      req.once('end', () => {
        res.writeHead(failure.status, failure.headers ?? {});
        res.end(failure.body ?? '');
      });
      return;
    }
    const upstream = request(
      {
        host: to.hostname,
        port: to.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.once('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    failed: () => failedCount,
    failNext: (count, canned, predicate = () => true) => {
      remaining = count;
      failure = canned;
      match = predicate;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

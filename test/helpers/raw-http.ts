import { connect, type Socket } from 'node:net';

export interface RawResponse {
  status: number;
  /** Header names in lower case. */
  headers: Record<string, string>;
  body: string;
}

/**
 * One HTTP/1.1 connection driven byte by byte: what fetch hides (pipelining on one socket, a
 * body that stops half way, whether the server closed with FIN or reset) is visible here.
 * Every wait has a deadline.
 */
export class RawConnection {
  #received = Buffer.alloc(0);
  #ended = false;
  /** Set when the server reset the connection (ECONNRESET / EPIPE). */
  error: Error | undefined;
  readonly #changed = new Set<() => void>();

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.#received = Buffer.concat([this.#received, chunk]);
      this.#notify();
    });
    socket.on('error', (error) => {
      this.error = error;
      this.#notify();
    });
    socket.on('close', () => {
      this.#ended = true;
      this.#notify();
    });
  }

  /** `localAddress` (e.g. 127.0.0.2) makes the connection come from another client address. */
  static open(url: string, localAddress?: string): Promise<RawConnection> {
    const { hostname, port } = new URL(url);
    return new Promise((resolve, reject) => {
      const socket = connect({ port: Number(port), host: hostname, localAddress }, () =>
        resolve(new RawConnection(socket)),
      );
      socket.once('error', reject);
    });
  }

  /** Writes, resolving once the bytes are handed to the kernel (or the write failed). */
  write(data: string | Uint8Array): Promise<void> {
    return new Promise((resolve) => this.socket.write(data, () => resolve()));
  }

  get closed(): boolean {
    return this.#ended;
  }

  /** The next complete response (Content-Length framed), or an error at the deadline. */
  async nextResponse(deadlineMs = 10_000): Promise<RawResponse> {
    return this.#waitFor(deadlineMs, 'a complete response', () => this.#takeResponse());
  }

  /** Resolves once the server closed the connection. */
  async waitClosed(deadlineMs = 10_000): Promise<void> {
    await this.#waitFor(deadlineMs, 'the connection to close', () =>
      this.#ended ? true : undefined,
    );
  }

  destroy(): void {
    this.socket.destroy();
  }

  #takeResponse(): RawResponse | undefined {
    const headEnd = this.#received.indexOf('\r\n\r\n');
    if (headEnd < 0) return undefined;
    const [statusLine, ...lines] = this.#received
      .subarray(0, headEnd)
      .toString('latin1')
      .split('\r\n');
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const length = Number(headers['content-length'] ?? 0);
    const bodyStart = headEnd + 4;
    if (this.#received.length < bodyStart + length) return undefined;
    const body = this.#received.subarray(bodyStart, bodyStart + length).toString('utf8');
    this.#received = this.#received.subarray(bodyStart + length);
    return { status: Number(statusLine!.split(' ')[1]), headers, body };
  }

  #notify(): void {
    for (const wake of this.#changed) wake();
  }

  #waitFor<T>(deadlineMs: number, what: string, check: () => T | undefined): Promise<T> {
    return new Promise((resolve, reject) => {
      const attempt = () => {
        const value = check();
        if (value !== undefined) return finish(() => resolve(value));
        if (this.#ended) finish(() => reject(new Error(`connection closed before ${what}`)));
      };
      const timer = setTimeout(
        () => finish(() => reject(new Error(`no ${what} within ${deadlineMs} ms`))),
        deadlineMs,
      );
      const finish = (settle: () => void) => {
        clearTimeout(timer);
        this.#changed.delete(attempt);
        settle();
      };
      this.#changed.add(attempt);
      attempt();
    });
  }
}

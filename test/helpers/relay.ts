import { createServer, Socket as NetSocket, type Server, type Socket } from 'node:net';

/**
 * A TCP relay in front of PostgreSQL that can be cut (connections refused) or stalled
 * (connections accepted, nothing forwarded either way: a hung server or network), and resumed.
 */
export class Relay {
  private readonly sockets = new Set<Socket>();
  private server: Server | undefined;
  /** While stalled: what each side sent, in order, to forward on resume. */
  private held: [Socket, Buffer][] | undefined;
  constructor(
    private readonly target: { host: string; port: number },
    readonly port: number,
  ) {}

  static async start(target: { host: string; port: number }): Promise<Relay> {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const relay = new Relay(target, port);
    await relay.open();
    return relay;
  }

  async open(): Promise<void> {
    this.server = createServer((client) => {
      const upstream = new NetSocket();
      upstream.connect(this.target.port, this.target.host);
      for (const [from, to] of [
        [client, upstream],
        [upstream, client],
      ] as const) {
        this.sockets.add(from);
        from.on('close', () => {
          this.sockets.delete(from);
          to.destroy();
        });
        from.on('error', () => from.destroy());
        from.on('data', (chunk: Buffer) => {
          if (this.held) this.held.push([to, chunk]);
          else to.write(chunk);
        });
      }
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
  }

  stall(): void {
    this.held ??= [];
  }

  resume(): void {
    const held = this.held ?? [];
    this.held = undefined;
    for (const [to, chunk] of held) if (!to.destroyed) to.write(chunk);
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}

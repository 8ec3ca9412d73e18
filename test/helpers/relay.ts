import { createServer, Socket as NetSocket, type Server, type Socket } from 'node:net';

/**
 * A TCP relay between the server and PostgreSQL that a test closes to make a real outage
 * (connections cut, new ones refused) and opens again on the same port.
 */
export class Relay {
  private readonly sockets = new Set<Socket>();
  private server: Server | undefined;
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
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => s.destroy());
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}

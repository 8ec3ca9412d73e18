import { execFile } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type TLSSocket } from 'node:tls';
import { promisify } from 'node:util';

/**
 * Real syslog receivers for tests: a UDP socket (RFC 5426) and a TLS server that splits
 * octet-counted frames (RFC 5425), each on a random loopback port, plus an RFC 5424 parser.
 */

export const OPENSSL = '/usr/bin/openssl';

export interface TestCertificate {
  dir: string;
  certFile: string;
  keyFile: string;
  cert: Buffer;
  key: Buffer;
  remove(): Promise<void>;
}

/** A self-signed EC certificate for `localhost` and 127.0.0.1; undefined without openssl. */
export async function makeTestCertificate(): Promise<TestCertificate | undefined> {
  if (!existsSync(OPENSSL)) return undefined;
  const dir = await mkdtemp(join(tmpdir(), 'strata-syslog-tls-'));
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  await promisify(execFile)(OPENSSL, [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    keyFile,
    '-out',
    certFile,
    '-days',
    '1',
    '-subj',
    '/CN=localhost',
    '-addext',
    'subjectAltName=DNS:localhost,IP:127.0.0.1',
  ]);
  return {
    dir,
    certFile,
    keyFile,
    cert: await readFile(certFile),
    key: await readFile(keyFile),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

export interface Receiver {
  port: number;
  /** Every message received, in order (a datagram, or a frame's SYSLOG-MSG). */
  messages: Buffer[];
  /** Resolves once `count` messages arrived in all; fails after `timeoutMs` saying how many did. */
  waitFor: (count: number, timeoutMs?: number) => Promise<Buffer[]>;
  close(): Promise<void>;
}

function waiter(messages: Buffer[]): {
  notify: () => void;
  waitFor: Receiver['waitFor'];
} {
  let listeners: (() => void)[] = [];
  return {
    notify: () => listeners.forEach((l) => l()),
    waitFor: (count, timeoutMs = 10_000) =>
      new Promise((resolve, reject) => {
        const check = (): void => {
          if (messages.length < count) return;
          clearTimeout(timer);
          listeners = listeners.filter((l) => l !== check);
          resolve(messages.slice(0, count));
        };
        const timer = setTimeout(() => {
          listeners = listeners.filter((l) => l !== check);
          reject(new Error(`expected ${count} syslog messages, got ${messages.length}`));
        }, timeoutMs);
        listeners.push(check);
        check();
      }),
  };
}

export async function startUdpReceiver(port = 0): Promise<Receiver> {
  const socket = createSocket('udp4');
  const messages: Buffer[] = [];
  const { notify, waitFor } = waiter(messages);
  socket.on('message', (message) => {
    messages.push(message);
    notify();
  });
  await new Promise<void>((resolve) => socket.bind(port, '127.0.0.1', () => resolve()));
  return {
    port: socket.address().port,
    messages,
    waitFor,
    close: () => new Promise((resolve) => socket.close(() => resolve())),
  };
}

export interface TlsReceiver extends Receiver {
  /** Client certificates' subjects seen (mutual TLS), one per connection. */
  clientSubjects: string[];
  /** How many connections were accepted. */
  connections(): number;
  /** Stops listening and cuts every open connection (an outage); `close` after this is fine. */
  kill(): Promise<void>;
}

/**
 * A TLS syslog receiver. `requestCert` asks for a client certificate (trusted: `ca`). Frames
 * are `MSG-LEN SP SYSLOG-MSG` (RFC 5425 §4.3); a malformed frame fails the test by throwing.
 */
export async function startTlsReceiver(
  cert: TestCertificate,
  options: { port?: number; requestCert?: boolean } = {},
): Promise<TlsReceiver> {
  const messages: Buffer[] = [];
  const clientSubjects: string[] = [];
  const sockets = new Set<Socket>();
  let accepted = 0;
  const { notify, waitFor } = waiter(messages);
  const server = createServer(
    {
      cert: cert.cert,
      key: cert.key,
      ...(options.requestCert ? { requestCert: true, ca: cert.cert } : {}),
    },
    (socket: TLSSocket) => {
      accepted++;
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {});
      const peer = socket.getPeerCertificate();
      if (peer && peer.subject) clientSubjects.push(String(peer.subject.CN ?? ''));
      let buffer = Buffer.alloc(0);
      socket.on('data', (chunk: Buffer) => {
        buffer = Buffer.concat([buffer, chunk]);
        for (;;) {
          const space = buffer.indexOf(0x20);
          if (space < 0) return;
          const lengthText = buffer.subarray(0, space).toString('ascii');
          if (!/^[1-9][0-9]*$/.test(lengthText)) throw new Error(`bad frame length ${lengthText}`);
          const length = Number(lengthText);
          if (buffer.length < space + 1 + length) return;
          messages.push(buffer.subarray(space + 1, space + 1 + length));
          buffer = buffer.subarray(space + 1 + length);
          notify();
        }
      });
    },
  );
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const kill = async (): Promise<void> => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of sockets) socket.destroy();
    await closed;
  };
  return {
    port: (server.address() as AddressInfo).port,
    messages,
    clientSubjects,
    connections: () => accepted,
    waitFor,
    kill,
    close: async () => {
      if (server.listening) await kill();
    },
  };
}

export interface SyslogMessage {
  pri: number;
  version: string;
  timestamp: string;
  hostname: string;
  appName: string;
  procId: string;
  msgId: string;
  structuredData: string;
  /** MSG with its BOM, when it had one. */
  bom: boolean;
  msg: string;
}

/** RFC 5424 §6 with NILVALUE structured data (what the exporter sends). */
export function parseSyslog(message: Buffer): SyslogMessage {
  const fields: string[] = [];
  let at = 0;
  for (let i = 0; i < 7; i++) {
    const space = message.indexOf(0x20, at);
    if (space < 0) throw new Error(`syslog header field ${i} missing`);
    fields.push(message.subarray(at, space).toString('ascii'));
    at = space + 1;
  }
  const [priVersion, timestamp, hostname, appName, procId, msgId, structuredData] = fields;
  const head = /^<(\d{1,3})>(\d+)$/.exec(priVersion!);
  if (!head) throw new Error('bad PRI/VERSION');
  const rest = message.subarray(at);
  const bom = rest[0] === 0xef && rest[1] === 0xbb && rest[2] === 0xbf;
  return {
    pri: Number(head[1]),
    version: head[2]!,
    timestamp: timestamp!,
    hostname: hostname!,
    appName: appName!,
    procId: procId!,
    msgId: msgId!,
    structuredData: structuredData!,
    bom,
    msg: rest.subarray(bom ? 3 : 0).toString('utf8'),
  };
}

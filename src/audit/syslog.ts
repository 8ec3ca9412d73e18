import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { connect, type TLSSocket } from 'node:tls';

/**
 * Syslog for ATNA (IHE ITI-20, Record Audit Event): RFC 5424 messages whose MSG is the DICOM
 * audit message XML, over RFC 5425 (TLS) or RFC 5426 (UDP).
 */

/** RFC 5424 §6.2.1: facility 10, security/authorization messages (authpriv). */
const FACILITY_AUTHPRIV = 10;
/** RFC 5424 §6.2.1 severities: notice for a success, warning for a failure. */
const SEVERITY = { notice: 5, warning: 4 } as const;
export type SyslogSeverity = keyof typeof SEVERITY;

/** IHE ITI TF-2 3.20.7.1: the MSGID of an audit message in the DICOM/RFC 3881 format. */
const MSGID = 'IHE+RFC-3881';
const APP_NAME = 'strata';
/** RFC 5424 §6.4: a UTF-8 MSG starts with the byte order mark. */
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

export interface SyslogHeader {
  at: Date;
  severity: SyslogSeverity;
  hostname: string;
  procId: number;
}

/**
 * `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID - BOM MSG` (RFC 5424 §6). No structured data
 * (`-`): ATNA carries everything in the XML.
 */
export function formatSyslog(xml: string, header: SyslogHeader): Buffer {
  const pri = FACILITY_AUTHPRIV * 8 + SEVERITY[header.severity];
  const head = [
    `<${pri}>1`,
    header.at.toISOString(),
    headerField(header.hostname, 255),
    APP_NAME,
    headerField(String(header.procId), 128),
    MSGID,
    '-',
  ].join(' ');
  return Buffer.concat([Buffer.from(head + ' ', 'ascii'), BOM, Buffer.from(xml, 'utf8')]);
}

/** RFC 5424 §6: header fields are 1..max printable US-ASCII characters, `-` when unknown. */
function headerField(value: string, max: number): string {
  const printable = value.replace(/[^\x21-\x7e]/g, '').slice(0, max);
  return printable === '' ? '-' : printable;
}

/** Where messages go. One transport is used by one exporter loop, one send at a time. */
export interface SyslogTransport {
  /**
   * Resolves once the transport has taken the message: UDP, handed to the kernel as one
   * datagram; TLS, written to the connection (the write callback). Neither protocol
   * acknowledges receipt (RFC 5425 §4.3, RFC 5426 §3.1), so this is as far as delivery can be
   * known. Rejects with a Node error code (ECONNREFUSED, ETIMEDOUT, …).
   */
  send(message: Buffer): Promise<void>;
  /** Largest message the transport can carry at all. */
  readonly maxMessageBytes: number;
  close(): Promise<void>;
}

export interface TlsTransportOptions {
  host: string;
  port: number;
  /** PEM CA certificate(s); default the system store. */
  ca?: Buffer;
  /** PEM client certificate and key for mutual TLS. */
  cert?: Buffer;
  key?: Buffer;
  /** Longest wait for a connection, and for one write to be flushed (default 10 s). */
  timeoutMs?: number;
}

/** Opens the transport an `AUDIT_SYSLOG_URL` names (`udp://host:514`, `tls://host:6514`). */
export function syslogTransportFor(
  url: string,
  tls: Omit<TlsTransportOptions, 'host' | 'port'> = {},
): SyslogTransport {
  const parsed = new URL(url);
  // URL keeps the brackets of an IPv6 literal.
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  if (parsed.protocol === 'udp:') return new UdpTransport(host, Number(parsed.port || 514));
  if (parsed.protocol === 'tls:') {
    return new TlsTransport({ ...tls, host, port: Number(parsed.port || 6514) });
  }
  throw new TypeError(`unsupported syslog scheme ${parsed.protocol}`);
}

/** A Node-style error with a code, the only part of it our logs keep. */
function codedError(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

/**
 * RFC 5426: one message per datagram. The UDP payload limit is 65507 octets over IPv4 (65527
 * over IPv6); larger messages cannot be sent at all. Receivers need only accept 480 (IPv4) or
 * 1180 (IPv6) octets and SHOULD accept 2048 (RFC 5426 §3.2), and nothing tells a sender that a
 * datagram was lost or truncated: TLS is the transport for an audit trail that must arrive.
 */
export class UdpTransport implements SyslogTransport {
  readonly maxMessageBytes: number;
  private socket: Promise<{ socket: UdpSocket; address: string }> | undefined;

  constructor(
    private readonly host: string,
    private readonly port: number,
  ) {
    this.maxMessageBytes = isIP(host) === 6 ? 65527 : 65507;
  }

  async send(message: Buffer): Promise<void> {
    if (message.length > this.maxMessageBytes) {
      throw codedError('message too large for a UDP datagram', 'EMSGSIZE');
    }
    this.socket ??= this.open();
    const opened = this.socket;
    const { socket, address } = await opened.catch((error: unknown) => {
      if (this.socket === opened) this.socket = undefined;
      throw error;
    });
    await new Promise<void>((resolve, reject) => {
      socket.send(message, this.port, address, (error) => (error ? reject(error) : resolve()));
    });
  }

  /** Resolves the host once per socket; a failed resolution is retried with the next send. */
  private async open(): Promise<{ socket: UdpSocket; address: string }> {
    const { address, family } = await lookup(this.host);
    const socket = createSocket(family === 6 ? 'udp6' : 'udp4');
    // Errors also reach the send callbacks; without a listener one would crash the process.
    socket.on('error', () => {});
    socket.unref();
    return { socket, address };
  }

  async close(): Promise<void> {
    const opened = this.socket;
    this.socket = undefined;
    const socket = await opened?.then((o) => o.socket).catch(() => undefined);
    if (socket) await new Promise<void>((resolve) => socket.close(() => resolve()));
  }
}

/**
 * RFC 5425: TLS 1.2 or later, messages framed by octet counting (`MSG-LEN SP SYSLOG-MSG`,
 * §4.3). One connection, opened on first use and again after any failure; the server's
 * certificate is checked against `ca` (or the system store) and the host name.
 */
export class TlsTransport implements SyslogTransport {
  /** RFC 5425 §4.3.1: receivers SHOULD accept 8192 octets; ours are far smaller in practice. */
  readonly maxMessageBytes = 16 * 1024 * 1024;
  private socket: Promise<TLSSocket> | undefined;
  private readonly timeoutMs: number;

  constructor(private readonly options: TlsTransportOptions) {
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  async send(message: Buffer): Promise<void> {
    this.socket ??= this.connect();
    const opened = this.socket;
    try {
      const socket = await opened;
      await this.write(socket, Buffer.concat([Buffer.from(`${message.length} `), message]));
    } catch (error) {
      // Whatever failed, the next send starts from a fresh connection.
      if (this.socket === opened) this.socket = undefined;
      opened.then((s) => s.destroy()).catch(() => undefined);
      throw error;
    }
  }

  private connect(): Promise<TLSSocket> {
    const { host, port, ca, cert, key } = this.options;
    return new Promise((resolve, reject) => {
      const socket = connect({
        host,
        port,
        // SNI takes names only (RFC 6066 §3).
        ...(isIP(host) ? {} : { servername: host }),
        minVersion: 'TLSv1.2',
        ...(ca ? { ca } : {}),
        ...(cert ? { cert } : {}),
        ...(key ? { key } : {}),
      });
      const timer = setTimeout(() => {
        socket.destroy(codedError('syslog connection timed out', 'ETIMEDOUT'));
      }, this.timeoutMs);
      socket.once('secureConnect', () => {
        clearTimeout(timer);
        resolve(socket);
      });
      socket.once('error', (error: Error) => {
        clearTimeout(timer);
        reject(error);
      });
      // A receiver that closes or fails the connection: drop it, the next send reconnects.
      const drop = (): void => {
        if (this.socket !== undefined) {
          void this.socket.then(
            (s) => {
              if (s === socket) this.socket = undefined;
            },
            () => undefined,
          );
        }
      };
      socket.on('error', drop);
      socket.on('close', drop);
      // The receiver sends nothing back (RFC 5425 §4.3); read and discard whatever it does.
      socket.on('data', () => {});
    });
  }

  private write(socket: TLSSocket, frame: Buffer): Promise<void> {
    if (socket.destroyed || !socket.writable) {
      return Promise.reject(codedError('syslog connection closed', 'ECONNRESET'));
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        socket.destroy();
        reject(codedError('syslog write timed out', 'ETIMEDOUT'));
      }, this.timeoutMs);
      socket.write(frame, (error) => {
        clearTimeout(timer);
        if (error) reject(error);
        else resolve();
      });
    });
  }

  async close(): Promise<void> {
    const opened = this.socket;
    this.socket = undefined;
    const socket = await opened?.catch(() => undefined);
    if (!socket || socket.destroyed) return;
    await new Promise<void>((resolve) => {
      socket.once('close', () => resolve());
      socket.end();
      setTimeout(() => socket.destroy(), 1000).unref();
    });
  }
}

import { XMLValidator } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatSyslog, syslogTransportFor, TlsTransport, UdpTransport } from './syslog.js';
import {
  makeTestCertificate,
  OPENSSL,
  parseSyslog,
  startTlsReceiver,
  startUdpReceiver,
  type TestCertificate,
} from './testing/syslog-receivers.js';

const xml = '<?xml version="1.0" encoding="UTF-8"?><AuditMessage><X a="Zoë"/></AuditMessage>';
const header = {
  at: new Date('2026-12-04T10:11:12.345Z'),
  severity: 'notice' as const,
  hostname: 'pacs-1',
  procId: 4242,
};

describe('formatSyslog', () => {
  it('writes an RFC 5424 header: authpriv, IHE+RFC-3881, no structured data, BOM then XML', () => {
    const message = formatSyslog(xml, header);
    expect(message.subarray(0, 73).toString('latin1')).toBe(
      '<85>1 2026-12-04T10:11:12.345Z pacs-1 strata 4242 IHE+RFC-3881 - \xef\xbb\xbf<?xml',
    );
    expect(parseSyslog(message)).toEqual({
      pri: 85,
      version: '1',
      timestamp: '2026-12-04T10:11:12.345Z',
      hostname: 'pacs-1',
      appName: 'strata',
      procId: '4242',
      msgId: 'IHE+RFC-3881',
      structuredData: '-',
      bom: true,
      msg: xml,
    });
  });

  it('failures are warnings (PRI 84); a host name with spaces or nothing printable stays one field', () => {
    expect(parseSyslog(formatSyslog(xml, { ...header, severity: 'warning' })).pri).toBe(84);
    expect(parseSyslog(formatSyslog(xml, { ...header, hostname: 'my host' })).hostname).toBe(
      'myhost',
    );
    expect(parseSyslog(formatSyslog(xml, { ...header, hostname: 'é' })).hostname).toBe('-');
  });
});

describe('UDP (RFC 5426)', () => {
  it('#12: each message is one datagram that parses as RFC 5424 with the XML payload', async () => {
    const receiver = await startUdpReceiver();
    const transport = syslogTransportFor(`udp://127.0.0.1:${receiver.port}`);
    try {
      expect(transport).toBeInstanceOf(UdpTransport);
      await transport.send(formatSyslog(xml, header));
      await transport.send(formatSyslog(xml, { ...header, severity: 'warning' }));
      const [first, second] = await receiver.waitFor(2);
      const parsed = parseSyslog(first!);
      expect(parsed).toMatchObject({ pri: 85, appName: 'strata', msgId: 'IHE+RFC-3881', msg: xml });
      expect(XMLValidator.validate(parsed.msg)).toBe(true);
      expect(parseSyslog(second!).pri).toBe(84);
    } finally {
      await transport.close();
      await receiver.close();
    }
  });

  it('refuses a message larger than a datagram can carry, before sending anything', async () => {
    const transport = new UdpTransport('127.0.0.1', 9);
    try {
      await expect(transport.send(Buffer.alloc(65508))).rejects.toMatchObject({
        code: 'EMSGSIZE',
      });
    } finally {
      await transport.close();
    }
  });
});

describe('TLS (RFC 5425)', () => {
  let cert: TestCertificate | undefined;
  beforeAll(async () => {
    cert = await makeTestCertificate();
    if (!cert) console.warn(`[strata] ${OPENSSL} not found: the syslog TLS tests were skipped`);
  });
  afterAll(() => cert?.remove());

  it('#12: octet-counted frames over one verified connection parse as RFC 5424', async (ctx) => {
    if (!cert) return ctx.skip();
    const receiver = await startTlsReceiver(cert);
    const transport = syslogTransportFor(`tls://localhost:${receiver.port}`, { ca: cert.cert });
    try {
      expect(transport).toBeInstanceOf(TlsTransport);
      const long = xml.replace('Zoë', 'x'.repeat(20_000));
      await transport.send(formatSyslog(xml, header));
      await transport.send(formatSyslog(long, header));
      await transport.send(formatSyslog(xml, { ...header, severity: 'warning' }));
      const frames = await receiver.waitFor(3);
      expect(frames.map((f) => parseSyslog(f).msg)).toEqual([xml, long, xml]);
      expect(frames.map((f) => parseSyslog(f).pri)).toEqual([85, 85, 84]);
      expect(receiver.connections()).toBe(1);
    } finally {
      await transport.close();
      await receiver.close();
    }
  });

  it('refuses a receiver whose certificate is not trusted, and sends nothing', async (ctx) => {
    if (!cert) return ctx.skip();
    const receiver = await startTlsReceiver(cert);
    // No `ca`: the system store does not know the self-signed certificate.
    const transport = syslogTransportFor(`tls://localhost:${receiver.port}`);
    try {
      await expect(transport.send(formatSyslog(xml, header))).rejects.toMatchObject({
        code: 'DEPTH_ZERO_SELF_SIGNED_CERT',
      });
      expect(receiver.messages).toEqual([]);
    } finally {
      await transport.close();
      await receiver.close();
    }
  });

  it('presents the client certificate for mutual TLS', async (ctx) => {
    if (!cert) return ctx.skip();
    const receiver = await startTlsReceiver(cert, { requestCert: true });
    const transport = syslogTransportFor(`tls://127.0.0.1:${receiver.port}`, {
      ca: cert.cert,
      cert: cert.cert,
      key: cert.key,
    });
    try {
      await transport.send(formatSyslog(xml, header));
      await receiver.waitFor(1);
      expect(receiver.clientSubjects).toEqual(['localhost']);
    } finally {
      await transport.close();
      await receiver.close();
    }
  });

  it('fails while the receiver is down and reconnects once it is back', async (ctx) => {
    if (!cert) return ctx.skip();
    const receiver = await startTlsReceiver(cert);
    const port = receiver.port;
    const transport = syslogTransportFor(`tls://localhost:${port}`, { ca: cert.cert });
    let again: Awaited<ReturnType<typeof startTlsReceiver>> | undefined;
    try {
      await transport.send(formatSyslog(xml, header));
      await receiver.waitFor(1);
      await receiver.kill();
      // The cut connection is noticed by the first send or before it; either way, no success
      // while nothing listens.
      await expect(
        (async () => {
          for (let i = 0; i < 5; i++) await transport.send(formatSyslog(xml, header));
        })(),
      ).rejects.toHaveProperty('code');
      await expect(transport.send(formatSyslog(xml, header))).rejects.toMatchObject({
        code: 'ECONNREFUSED',
      });
      again = await startTlsReceiver(cert, { port });
      await transport.send(formatSyslog(xml, header));
      await again.waitFor(1);
    } finally {
      await transport.close();
      await again?.close();
      await receiver.close();
    }
  });
});

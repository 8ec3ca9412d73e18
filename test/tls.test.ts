import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type ConnectionOptions } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, testDb, type TestServer } from './helpers/server.js';

/**
 * TLS_CERT_FILE + TLS_KEY_FILE: Strata serves HTTPS itself, TLS 1.2 and up, with HSTS. The
 * certificate is a self-signed one made by openssl for this test, trusted as the only CA.
 */
const OPENSSL = '/usr/bin/openssl';
const haveOpenssl = existsSync(OPENSSL);
if (!haveOpenssl) console.warn(`[strata] ${OPENSSL} not found: the TLS suite was skipped`);

let dir: string;
let server: TestServer;
let ca: Buffer;
let port: number;

beforeAll(async () => {
  if (!haveOpenssl) return;
  dir = await mkdtemp(join(tmpdir(), 'strata-tls-'));
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  // EC P-256: quick to generate; the SAN lets the client check the name it connects to.
  execFileSync(
    OPENSSL,
    [
      ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'],
      ...['-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1'],
      ...['-addext', 'subjectAltName=IP:127.0.0.1'],
    ],
    { stdio: 'ignore' },
  );
  ca = readFileSync(cert);
  server = await startTestServer({ TLS_CERT_FILE: cert, TLS_KEY_FILE: key });
  port = Number(new URL(server.url).port);
});
afterAll(async () => {
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function httpsGet(path: string) {
  return new Promise<{ status: number; headers: Record<string, unknown>; body: string }>(
    (resolve, reject) => {
      const req = httpsRequest(`${server.url}${path}`, { ca, timeout: 10_000 }, (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      });
      req.on('error', reject);
      req.end();
    },
  );
}

/** The TLS handshake's outcome with these client options: the protocol, or the error code. */
function handshake(options: ConnectionOptions) {
  return new Promise<{ protocol?: string | null; code?: string }>((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, ca, ...options }, () => {
      resolve({ protocol: socket.getProtocol() });
      socket.end();
    });
    socket.on('error', (error: NodeJS.ErrnoException) =>
      resolve({ code: error.code ?? error.message }),
    );
  });
}

describe.skipIf(!haveOpenssl)(`TLS (${testDb})`, () => {
  it('#12: serves QIDO over HTTPS, logged as https, with Strict-Transport-Security', async () => {
    expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const response = await httpsGet('/dicom-web/studies');
    expect([200, 204]).toContain(response.status);
    expect(response.headers['strict-transport-security']).toBe('max-age=31536000');
    const missing = await httpsGet('/dicom-web/nothing-here');
    expect(missing.status).toBe(404);
    expect(missing.headers['strict-transport-security']).toBe('max-age=31536000');
  });

  it('#12: refuses a TLS 1.1 client and accepts TLS 1.2', async () => {
    // SECLEVEL=0 lets this client offer TLS 1.1 at all, so the refusal seen is the server's.
    const old = await handshake({
      minVersion: 'TLSv1.1',
      maxVersion: 'TLSv1.1',
      ciphers: 'DEFAULT@SECLEVEL=0',
    });
    expect(old.protocol).toBeUndefined();
    expect(old.code).toMatch(/PROTOCOL_VERSION|UNSUPPORTED_PROTOCOL|WRONG_VERSION/);
    expect(await handshake({ minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' })).toEqual({
      protocol: 'TLSv1.2',
    });
  });

  it('#12: answers no plain HTTP on the TLS port', async () => {
    const outcome = await new Promise<string>((resolve) => {
      const req = httpRequest(
        { host: '127.0.0.1', port, path: '/dicom-web/studies', timeout: 10_000 },
        (res) => resolve(`status ${res.statusCode}`),
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (error: NodeJS.ErrnoException) =>
        resolve(`error ${error.code ?? error.message}`),
      );
      req.end();
    });
    expect(outcome).toMatch(/^error /);
  });
});

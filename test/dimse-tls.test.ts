import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dcmtk, dcmtkAvailable, peerArgs } from './helpers/dcmtk.js';
import { startTestServer, testDb, type TestServer } from './helpers/server.js';

/**
 * #15: DICOM TLS (DIMSE_TLS_CERT_FILE/KEY_FILE): echoscu over TLS (BCP 195 profile) is answered,
 * a plain TCP peer is not. The certificate is a self-signed one openssl makes for this test.
 */
const OPENSSL = '/usr/bin/openssl';

describe.skipIf(!dcmtkAvailable || !existsSync(OPENSSL))(`#15 DICOM TLS (${testDb})`, () => {
  let dir: string;
  let cert: string;
  let server: TestServer;
  let port: number;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'strata-dimse-tls-'));
    cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    execFileSync(
      OPENSSL,
      [
        ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'],
        ...['-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1'],
        ...['-addext', 'subjectAltName=IP:127.0.0.1'],
      ],
      { stdio: 'ignore' },
    );
    server = await startTestServer({
      DIMSE_PORT: '0',
      DIMSE_REMOTE_AES: 'TESTSCU@127.0.0.1:1',
      DIMSE_TLS_CERT_FILE: cert,
      DIMSE_TLS_KEY_FILE: key,
      DIMSE_IDLE_TIMEOUT_SECONDS: '3',
    });
    port = server.dimse!.port;
  });
  afterAll(async () => {
    await server?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('answers C-ECHO over TLS', async () => {
    const result = await dcmtk('echoscu', ['+tla', '+cf', cert, ...peerArgs(port)]);
    expect(result.code, result.stderr).toBe(0);
  });

  it('does not speak plain DICOM on the TLS port', async () => {
    const result = await dcmtk('echoscu', ['-to', '5', '-ta', '5', ...peerArgs(port)], 20_000);
    expect(result.code).not.toBe(0);
  });
});

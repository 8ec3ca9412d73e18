import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryAuditSink } from '../src/audit/testing/memory-sink.js';
import { dcmtk, dcmtkAvailable, peerArgs } from './helpers/dcmtk.js';
import { startTestServer, testDb, type TestServer } from './helpers/server.js';

/** #15: the DIMSE listener, its AE checks, limits and protocol-error handling. */
describe.skipIf(!dcmtkAvailable)(`#15 DIMSE association and C-ECHO (${testDb})`, () => {
  let server: TestServer;
  let port: number;
  const sink = new MemoryAuditSink();
  const events = sink.events;

  beforeAll(async () => {
    server = await startTestServer(
      {
        DIMSE_PORT: '0',
        DIMSE_REMOTE_AES: 'TESTSCU@127.0.0.1:1,OTHER@127.0.0.1:2',
        DIMSE_MAX_ASSOCIATIONS: '2',
        DIMSE_IDLE_TIMEOUT_SECONDS: '2',
        METRICS_PUBLIC: 'true',
      },
      { audit: sink },
    );
    port = server.dimse!.port;
  });
  afterAll(async () => {
    await server?.close();
  });

  it('answers C-ECHO from a known AE, and audits the association', async () => {
    const result = await dcmtk('echoscu', peerArgs(port));
    expect(result.code, result.stderr).toBe(0);
    const accepted = events.find(
      (e) => e.type === 'security-alert' && e.user?.id === 'ae:TESTSCU' && e.outcome === 0,
    );
    expect(accepted?.detail).toMatchObject({ protocol: 'dimse', calledAe: 'STRATA' });
  });

  it('rejects an unknown calling AE (calling AE title not recognized) and audits it', async () => {
    const result = await dcmtk('echoscu', ['-d', ...peerArgs(port, 'STRANGER')]);
    expect(result.code).not.toBe(0);
    expect(result.stderr + result.stdout).toMatch(/Calling AE Title Not Recognized/i);
    expect(events.some((e) => e.user?.id === 'ae:STRANGER' && e.outcome === 4)).toBe(true);
  });

  it('rejects a call to another AE title (called AE title not recognized)', async () => {
    const result = await dcmtk('echoscu', ['-d', ...peerArgs(port, 'TESTSCU', 'NOTSTRATA')]);
    expect(result.code).not.toBe(0);
    expect(result.stderr + result.stdout).toMatch(/Called AE Title Not Recognized/i);
  });

  it('aborts malformed PDU bytes on a raw socket and keeps serving', async () => {
    const answer = await rawExchange(port, Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    // A-ABORT (type 07), then the connection closes.
    expect(answer[0]).toBe(0x07);
    const huge = Buffer.from([0x04, 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);
    const second = await rawExchange(port, huge);
    expect(second[0]).toBe(0x07);
    expect((await dcmtk('echoscu', peerArgs(port))).code).toBe(0);
    expect(events.some((e) => e.detail?.['kind'] === 'protocol-error')).toBe(true);
  });

  it('closes an idle connection after DIMSE_IDLE_TIMEOUT_SECONDS', async () => {
    const started = Date.now();
    await rawExchange(port, Buffer.alloc(0), 10_000);
    expect(Date.now() - started).toBeLessThan(8000);
  });

  it('counts associations by outcome and operations by service and status, with no AE title', async () => {
    const response = await fetch(`${server.url}/metrics`);
    expect(response.status).toBe(200);
    const text = await response.text();
    const value = (series: string) => {
      const line = text.split('\n').find((l) => l.startsWith(series + ' '));
      return line === undefined ? 0 : Number(line.slice(series.length + 1));
    };
    // Echoes above: two accepted associations (first test, after the malformed bytes).
    expect(value('strata_dimse_associations_total{outcome="accepted"}')).toBeGreaterThanOrEqual(2);
    expect(value('strata_dimse_associations_total{outcome="calling-ae"}')).toBe(1);
    expect(value('strata_dimse_associations_total{outcome="called-ae"}')).toBe(1);
    expect(value('strata_dimse_associations_total{outcome="protocol-error"}')).toBe(2);
    expect(
      value('strata_dimse_operation_duration_seconds_count{service="echo",status="0000"}'),
    ).toBeGreaterThanOrEqual(2);
    expect(value('strata_dimse_open_associations')).toBe(0);
    expect(text).not.toMatch(/TESTSCU|STRANGER|NOTSTRATA/);
  });
});

/** Writes bytes, collects what comes back until the server closes (with a deadline). */
function rawExchange(port: number, bytes: Buffer, deadlineMs = 5000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('the server did not close the connection in time'));
    }, deadlineMs);
    socket.on('connect', () => {
      if (bytes.length > 0) socket.write(bytes);
    });
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks));
    });
  });
}

import { XMLValidator } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEvent } from '../src/audit/event.js';
import {
  makeTestCertificate,
  OPENSSL,
  parseSyslog,
  startTlsReceiver,
  type TestCertificate,
} from '../src/audit/testing/syslog-receivers.js';
import { startTestServer, testDb, type TestServer } from './helpers/server.js';

/**
 * The ATNA export end to end: the real server with AUDIT_SYSLOG_URL pointing at a TLS receiver
 * the test runs. Records go through the server's own audit trail (chained, pseudonymised).
 */

let cert: TestCertificate | undefined;
beforeAll(async () => {
  cert = await makeTestCertificate();
  if (!cert) console.warn(`[strata] ${OPENSSL} not found: the ATNA export tests were skipped`);
});
afterAll(() => cert?.remove());

/** A query event by user `user-<n>`, so a received message says which record it was. */
const query = (n: number): AuditEvent => ({
  type: 'query',
  action: 'E',
  outcome: 0,
  user: { id: `user-${n}`, method: 'api-key', roles: ['reader'] },
  clientAddress: '192.0.2.7',
  patient: { patientId: `PATIENT-${n}`, studyUids: [`1.2.3.${n}`] },
  query: `PatientID=PATIENT-${n}`,
});

/** The test users' numbers in the messages (the server's own start records have none). */
const usersOf = (messages: Buffer[]) =>
  messages.flatMap((m) => {
    const match = /UserID="user-(\d+)"/.exec(parseSyslog(m).msg);
    return match ? [Number(match[1])] : [];
  });

describe('ATNA export', () => {
  it('#12: the server delivers audit records to the TLS audit repository it is given', async (ctx) => {
    if (!cert) return ctx.skip();
    const receiver = await startTlsReceiver(cert);
    let server: TestServer | undefined;
    try {
      server = await startTestServer({
        AUDIT_SYSLOG_URL: `tls://localhost:${receiver.port}`,
        AUDIT_SYSLOG_CA_FILE: cert.certFile,
        AUDIT_SITE_ID: 'radiology-east',
      });
      for (const n of [1, 2, 3]) await server.audit.trail.record(query(n));
      // The application-start record, then the three, in order, as soon as they are committed.
      const messages = await receiver.waitFor(4);
      expect(parseSyslog(messages[0]!).msg).toContain('csd-code="110100"');
      expect(usersOf(messages)).toEqual([1, 2, 3]);
      const first = parseSyslog(messages[1]!);
      expect(first).toMatchObject({ pri: 85, appName: 'strata', msgId: 'IHE+RFC-3881', bom: true });
      expect(XMLValidator.validate(first.msg)).toBe(true);
      expect(first.msg).toContain('AuditSourceID="radiology-east"');
      // Identifiers leave as the pseudonyms the trail stored, never as themselves.
      expect(first.msg).not.toContain('PATIENT-1');
      expect(first.msg).not.toContain('1.2.3.1');
      expect(first.msg).toMatch(/ParticipantObjectID="[0-9a-f]{64}"/);
    } finally {
      await server?.close();
      await receiver.close();
    }
  });

  it.skipIf(testDb !== 'postgres')(
    '#12: two servers on one PostgreSQL index export each record once between them',
    async (ctx) => {
      if (!cert) return ctx.skip();
      const receiver = await startTlsReceiver(cert);
      const env = {
        AUDIT_SYSLOG_URL: `tls://localhost:${receiver.port}`,
        AUDIT_SYSLOG_CA_FILE: cert.certFile,
      };
      let a: TestServer | undefined;
      let b: TestServer | undefined;
      try {
        a = await startTestServer(env);
        b = await startTestServer({ ...env, DATABASE_URL: a.env['DATABASE_URL']! });
        const users: number[] = [];
        for (let round = 0; round < 10; round++) {
          const batch = Array.from({ length: 25 }, (_, i) => round * 25 + i + 1);
          const [x, y] = [a, b];
          await Promise.all(batch.map((n) => (n % 2 ? x : y).audit.trail.record(query(n))));
          users.push(...batch);
        }
        // Both servers' start records and the 250.
        const messages = await receiver.waitFor(users.length + 2, 30_000);
        // Both loops get one more look; neither may send anything again.
        a.auditExport?.nudge();
        b.auditExport?.nudge();
        await new Promise((resolve) => setTimeout(resolve, 500));
        expect(receiver.messages).toHaveLength(users.length + 2);
        // Across two connections arrival order is the network's; each record arrives once.
        expect(usersOf(messages).sort((x, y) => x - y)).toEqual(users);
      } finally {
        await b?.close();
        await a?.close();
        await receiver.close();
      }
    },
  );
});

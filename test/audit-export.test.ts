import { XMLValidator } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendAuditRows, seqOfMessage } from '../src/audit/testing/audit-rows.js';
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
 * the test runs. Records are appended to audit_log through the index, as the audit trail does.
 */

let cert: TestCertificate | undefined;
beforeAll(async () => {
  cert = await makeTestCertificate();
  if (!cert) console.warn(`[strata] ${OPENSSL} not found: the ATNA export tests were skipped`);
});
afterAll(() => cert?.remove());

const seqsOf = (messages: Buffer[]) => messages.map((m) => seqOfMessage(parseSyslog(m).msg));

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
      const seqs = await appendAuditRows(server.database.db, 3);
      server.auditExport?.nudge();
      const messages = await receiver.waitFor(3);
      expect(seqsOf(messages)).toEqual(seqs);
      const first = parseSyslog(messages[0]!);
      expect(first).toMatchObject({ pri: 85, appName: 'strata', msgId: 'IHE+RFC-3881', bom: true });
      expect(XMLValidator.validate(first.msg)).toBe(true);
      expect(first.msg).toContain('AuditSourceID="radiology-east"');
      // Identifiers leave as the pseudonyms the trail stored.
      expect(first.msg).toContain(`ParticipantObjectID="patient-pseudonym-${seqs[0]}"`);
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
        const seqs: number[] = [];
        for (let round = 0; round < 10; round++) {
          seqs.push(...(await appendAuditRows(a.database.db, 25)));
          a.auditExport?.nudge();
          b.auditExport?.nudge();
        }
        const messages = await receiver.waitFor(seqs.length, 30_000);
        // Both loops get one more look; neither may send anything again.
        a.auditExport?.nudge();
        b.auditExport?.nudge();
        await new Promise((resolve) => setTimeout(resolve, 500));
        expect(receiver.messages).toHaveLength(seqs.length);
        // Each node sends in seq order; across two connections arrival order is the network's.
        expect(seqsOf(messages).sort((x, y) => x - y)).toEqual(seqs);
      } finally {
        await b?.close();
        await a?.close();
        await receiver.close();
      }
    },
  );
});

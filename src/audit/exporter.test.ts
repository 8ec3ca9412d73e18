import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { withExportCursor } from '../index/audit-export.repository.js';
import { openDb, type Database } from '../index/db.js';
import { migrateDb } from '../index/migrate.js';
import { auditExport, auditLog } from '../index/schema.js';
import { createLogger } from '../lib/log.js';
import { AuditExporter } from './exporter.js';
import { syslogTransportFor } from './syslog.js';
import { appendAuditRows, seqOfMessage } from './testing/audit-rows.js';
import {
  makeTestCertificate,
  OPENSSL,
  parseSyslog,
  startTlsReceiver,
  startUdpReceiver,
  type TestCertificate,
  type TlsReceiver,
} from './testing/syslog-receivers.js';

let database: Database;
let cert: TestCertificate | undefined;
beforeAll(async () => {
  cert = await makeTestCertificate();
  if (!cert) console.warn(`[strata] ${OPENSSL} not found: the TLS exporter tests were skipped`);
});
afterAll(() => cert?.remove());

beforeAll(async () => {
  database = await openDb({});
  await migrateDb(database);
});
afterAll(() => database.close());
// Each test starts from an empty log and no cursors (opening PGlite per test is slow).
beforeEach(async () => {
  await database.db.delete(auditLog);
  await database.db.delete(auditExport);
});

const logLines: string[] = [];
const log = createLogger('debug', (line) => logLines.push(line));

function exporterFor(destination: string, tls = cert ? { ca: cert.cert } : {}) {
  return new AuditExporter({
    database,
    transport: syslogTransportFor(destination, tls),
    destination,
    log,
    siteId: 'test-site',
    batchSize: 7,
    pollMs: 50,
    minBackoffMs: 20,
    maxBackoffMs: 200,
  });
}

const seqs = (messages: Buffer[]) => messages.map((m) => seqOfMessage(parseSyslog(m).msg));

async function deliveredSeq(destination: string): Promise<number | undefined> {
  const [row] = await database.db
    .select()
    .from(auditExport)
    .where(eq(auditExport.destination, destination));
  return row?.deliveredSeq;
}

/** Polls `check` until it holds; fails with `what` after `timeoutMs`. */
async function eventually(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('AuditExporter', () => {
  it('#12: delivers every record in seq order over TLS, then follows new ones', async (ctx) => {
    if (!cert) return ctx.skip();
    const receiver = await startTlsReceiver(cert);
    const destination = `tls://localhost:${receiver.port}`;
    const exporter = exporterFor(destination);
    try {
      const first = await appendAuditRows(database.db, 20);
      exporter.start();
      expect(seqs(await receiver.waitFor(20))).toEqual(first);
      const more = await appendAuditRows(database.db, 3);
      exporter.nudge();
      expect(seqs(await receiver.waitFor(23))).toEqual([...first, ...more]);
      await eventually('the cursor', async () => (await deliveredSeq(destination)) === 23);
      // Record 5 is a failure (outcome 4): a warning; the others are notices.
      const pris = receiver.messages.map((m) => parseSyslog(m).pri);
      expect(pris[4]).toBe(84);
      expect(pris[0]).toBe(85);
    } finally {
      await exporter.stop();
      await receiver.close();
    }
  });

  it('#12: keeps records spooled while the receiver is down, retries, then delivers each once', async (ctx) => {
    if (!cert) return ctx.skip();
    const receiver = await startTlsReceiver(cert);
    const port = receiver.port;
    const destination = `tls://localhost:${port}`;
    const exporter = exporterFor(destination);
    let back: TlsReceiver | undefined;
    try {
      const before = await appendAuditRows(database.db, 4);
      exporter.start();
      await receiver.waitFor(4);
      await eventually('the cursor', async () => (await deliveredSeq(destination)) === 4);

      await receiver.kill();
      // Let the exporter see the cut connection (TLS has no acknowledgement: a message written
      // into a connection the receiver is dropping at that instant could be lost).
      await new Promise((r) => setTimeout(r, 200));
      logLines.length = 0;
      const during = await appendAuditRows(database.db, 10);
      exporter.nudge();
      await eventually(
        'two failed attempts',
        () => logLines.filter((l) => l.includes('audit export failed')).length >= 2,
      );
      expect(await deliveredSeq(destination)).toBe(4);

      back = await startTlsReceiver(cert, { port });
      expect(seqs(await back.waitFor(10))).toEqual(during);
      await eventually('the cursor', async () => (await deliveredSeq(destination)) === 14);
      await new Promise((r) => setTimeout(r, 200));
      expect(back.messages).toHaveLength(10);
      expect(seqs(receiver.messages)).toEqual(before);
      expect(logLines.some((l) => l.includes('delivering again'))).toBe(true);

      // Logs name seq numbers and error codes, never what the records hold.
      const failure = JSON.parse(logLines.find((l) => l.includes('audit export failed'))!) as {
        seq: number;
        error: { code: string };
      };
      expect(failure.seq).toBe(5);
      expect(failure.error.code).toMatch(/^E[A-Z]+$/);
      expect(logLines.join('\n')).not.toMatch(/pseudonym|user-\d|192\.0\.2\.7/);
    } finally {
      await exporter.stop();
      await back?.close();
      await receiver.close();
    }
  });

  it('#12: the cursor survives a restart: a new exporter sends only what is new', async () => {
    const receiver = await startUdpReceiver();
    const destination = `udp://127.0.0.1:${receiver.port}`;
    try {
      await appendAuditRows(database.db, 5);
      const first = exporterFor(destination);
      expect(await first.exportPending()).toBe(5);
      await first.stop();
      expect(await deliveredSeq(destination)).toBe(5);

      const more = await appendAuditRows(database.db, 3);
      const second = exporterFor(destination);
      expect(await second.exportPending()).toBe(3);
      await second.stop();
      expect(seqs(await receiver.waitFor(8)).slice(5)).toEqual(more);
      expect(await deliveredSeq(destination)).toBe(8);
    } finally {
      await receiver.close();
    }
  });

  it('each destination has its own cursor, created on first use at the start of the log', async () => {
    const a = await startUdpReceiver();
    const b = await startUdpReceiver();
    try {
      await appendAuditRows(database.db, 3);
      const toA = exporterFor(`udp://127.0.0.1:${a.port}`);
      expect(await toA.exportPending()).toBe(3);
      await toA.stop();
      const toB = exporterFor(`udp://127.0.0.1:${b.port}`);
      expect(await toB.exportPending()).toBe(3);
      await toB.stop();
      expect(await database.db.select().from(auditExport)).toHaveLength(2);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('skips a record no UDP datagram can carry, with a log line, rather than stop the trail', async () => {
    const receiver = await startUdpReceiver();
    const destination = `udp://127.0.0.1:${receiver.port}`;
    try {
      await appendAuditRows(database.db, 3);
      await database.db
        .update(auditLog)
        .set({ query: 'x'.repeat(70_000) })
        .where(eq(auditLog.seq, 2));
      logLines.length = 0;
      const exporter = exporterFor(destination);
      expect(await exporter.exportPending()).toBe(2);
      await exporter.stop();
      expect(seqs(await receiver.waitFor(2))).toEqual([1, 3]);
      expect(await deliveredSeq(destination)).toBe(3);
      expect(logLines.find((l) => l.includes('too large'))).toContain('"seq":2');
    } finally {
      await receiver.close();
    }
  });

  it('stop() ends a loop that is backing off, at once', async () => {
    const exporter = exporterFor('tls://127.0.0.1:1');
    await appendAuditRows(database.db, 1);
    exporter.start();
    await eventually('a failure', () => logLines.some((l) => l.includes('audit export failed')));
    const started = Date.now();
    await exporter.stop();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await deliveredSeq('tls://127.0.0.1:1')).toBe(0);
  });

  it('the row lock (FOR UPDATE SKIP LOCKED in a transaction) runs on PGlite too', async () => {
    await appendAuditRows(database.db, 2);
    const claim = await withExportCursor(
      { db: database.db, driver: 'postgres' },
      'locked',
      async (cursor) => {
        const rows = await cursor.next(10);
        await cursor.advance(rows.at(-1)!.seq);
        return rows.length;
      },
    );
    expect(claim).toEqual({ claimed: true, value: 2 });
    expect(await deliveredSeq('locked')).toBe(2);
  });
});

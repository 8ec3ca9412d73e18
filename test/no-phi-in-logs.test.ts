import { rm, writeFile } from 'node:fs/promises';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/lib/log.js';
import { makeInstance, type GeneratedInstance } from './helpers/make-dicom.js';
import { stow } from './helpers/multipart.js';
import { Relay } from './helpers/relay.js';
import { freshDatabase, startTestServer, testDb, type TestServer } from './helpers/server.js';
import { mountTmpfs } from './helpers/tmpfs.js';

/**
 * PHI never reaches a log line, whatever fails: every error path we can drive for real — a
 * NUL in a query, a database constraint that refuses a row, a full blob store, and (on
 * PostgreSQL) the database going away under STOW, QIDO, WADO and metadata requests. Every line
 * the server logs is captured and must be JSON, and carry no UID, name or ID of the requests or
 * datasets. Database errors are the dangerous ones: drizzle's message is the SQL with its
 * parameters, and PostgreSQL's detail quotes the failing row.
 */
const NAME = 'SMITH^JOHN';
const IDS = ['MRN-0042', 'MRN-0099'];
const disk = await mountTmpfs('2m');

describe(`no PHI in logs (${testDb})`, () => {
  const lines: string[] = [];
  const instances: GeneratedInstance[] = [];
  let server: TestServer;
  let relay: Relay | undefined;
  let database: Awaited<ReturnType<typeof freshDatabase>> | undefined;
  const config = `${disk?.path}.json`;

  beforeAll(async () => {
    const env: Record<string, string> = {};
    if (disk) {
      // Blobs on a 2 MiB filesystem, so one large part meets a full disk.
      await writeFile(
        config,
        JSON.stringify({ tiers: [{ name: 'fs', backend: { kind: 'fs', root: disk.path } }] }),
      );
      env['STRATA_CONFIG'] = config;
    }
    if (testDb === 'postgres') {
      database = await freshDatabase();
      const url = new URL(database.url!);
      relay = await Relay.start({ host: url.hostname, port: Number(url.port || 5432) });
      url.hostname = '127.0.0.1';
      url.port = String(relay.port);
      env['DATABASE_URL'] = url.toString();
    }
    server = await startTestServer(env, {
      log: createLogger('debug', (line) => lines.push(line)),
    });
  });
  afterAll(async () => {
    await server?.close();
    await relay?.close();
    await database?.drop();
    await disk?.unmount();
    await rm(config, { force: true });
  });

  const patient = (id: string, spec: Parameters<typeof makeInstance>[0] = {}) => {
    const instance = makeInstance({ patientName: NAME, patientId: id, ...spec });
    instances.push(instance);
    return instance;
  };
  const get = (path: string) => fetch(`${server.base}${path}`);
  const pathOf = (i: GeneratedInstance) =>
    `/studies/${i.studyInstanceUid}/series/${i.seriesInstanceUid}/instances/${i.sopInstanceUid}`;

  it('stores an instance of the patient', async () => {
    expect((await stow(`${server.base}/studies`, [{ body: patient(IDS[0]!).bytes }])).status).toBe(
      200,
    );
  });

  it('a NUL in a QIDO value or a path UID is a 400, not a database error', async () => {
    const stored = instances[0]!;
    for (const query of [
      `PatientName=${encodeURIComponent(NAME)}%00`,
      `PatientID=${IDS[0]}%00`,
      `StudyInstanceUID=${stored.studyInstanceUid}%00`,
    ]) {
      const response = await get(`/studies?${query}`);
      expect(response.status, query).toBe(400);
      expect(((await response.json()) as { code: string }).code).toBe('qido.bad_parameter');
    }
    const response = await get(`/studies/${stored.studyInstanceUid}%00/metadata`);
    expect(response.status).toBe(400);
  });

  it('a row the database refuses (a check constraint) fails the request without logging the row', async () => {
    await server.database.db.execute(
      sql.raw(
        `alter table studies add constraint strata_test_refuse check (patient_id <> '${IDS[1]}')`,
      ),
    );
    const refused = await stow(`${server.base}/studies`, [{ body: patient(IDS[1]!).bytes }]);
    expect(refused.status).toBe(500);
    expect(lines.some((l) => /"msg":"request failed"/.test(l) && /"23514"/.test(l))).toBe(true);
  });

  it.runIf(disk !== undefined)('a full blob store refuses the part with 0xA700', async () => {
    const response = await stow(`${server.base}/studies`, [
      { body: patient(IDS[0]!, { pixelBytes: 5_000_000 }).bytes },
    ]);
    expect(response.status).toBe(409);
    expect(response.json['00081198'].Value[0]['00081197'].Value).toEqual([0xa700]);
  });

  it.runIf(testDb === 'postgres')(
    'STOW, QIDO, WADO and metadata during a database outage answer 503',
    async () => {
      const stored = instances[0]!;
      await relay!.close();
      try {
        const stowed = await stow(`${server.base}/studies`, [{ body: patient(IDS[0]!).bytes }]);
        expect(stowed.status).toBe(503);
        for (const path of [
          `/studies?PatientName=${encodeURIComponent(NAME)}&PatientID=${IDS[0]}`,
          `/studies/${stored.studyInstanceUid}/series?SeriesInstanceUID=${stored.seriesInstanceUid}`,
          pathOf(stored),
          `${pathOf(stored)}/metadata`,
          `/studies/${stored.studyInstanceUid}/metadata`,
        ]) {
          const response = await get(path);
          await response.arrayBuffer();
          expect(response.status, path).toBe(503);
        }
      } finally {
        await relay!.open();
      }
    },
  );

  it('every line is JSON, and none holds a UID, name or ID', () => {
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(() => JSON.parse(line) as unknown, line).not.toThrow();
    const all = lines.join('\n');
    const secrets = [
      'SMITH',
      'Smith',
      'JOHN',
      ...IDS,
      ...instances.flatMap((i) => [i.studyInstanceUid, i.seriesInstanceUid, i.sopInstanceUid]),
    ];
    for (const secret of secrets) expect(all, secret).not.toContain(secret);
  });
});

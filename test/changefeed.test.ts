/**
 * #14: the change feed over HTTP, in the shape of the Microsoft DICOM service's change feed:
 * STOW, replace and DELETE leave create, update and delete entries in order, with the UIDs,
 * states and metadata a consumer relies on; paging by offset (a Sequence) and limit; the
 * latest entry; a patient-scoped principal sees only its patients' entries.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryAuditSink } from '../src/audit/testing/memory-sink.js';
import { ApiKeys } from '../src/auth/api-keys.js';
import { DEFAULT_ROLES } from '../src/auth/roles.js';
import { createLogger } from '../src/lib/log.js';
import { makeInstance, makeSameUids, newUid } from './helpers/make-dicom.js';
import { stow } from './helpers/multipart.js';
import { startTestServer, testDb, type TestServer } from './helpers/server.js';

let server: TestServer;
let EDITOR = '';
let ALICE = '';
const sink = new MemoryAuditSink();
const auth = (key: string) => ({ Authorization: `Bearer ${key}` });

beforeAll(async () => {
  server = await startTestServer(
    { AUTH_METHODS: 'api-key', STOW_DUPLICATE_POLICY: 'replace' },
    { audit: sink },
  );
  const keys = new ApiKeys({
    db: server.database.db,
    roles: DEFAULT_ROLES,
    log: createLogger('silent'),
  });
  EDITOR = (await keys.create({ name: 'editor', role: 'editor' })).key;
  ALICE = (await keys.create({ name: 'alice', role: 'reader', patientIds: ['PID-A'] })).key;
});
afterAll(async () => {
  await server?.close();
});

async function feed(query = '', key = EDITOR): Promise<any[]> {
  const response = await fetch(`${server.base}/changefeed${query}`, { headers: auth(key) });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  return (await response.json()) as any[];
}

async function store(...instances: ReturnType<typeof makeInstance>[]) {
  const response = await stow(
    `${server.base}/studies`,
    instances.map((i) => ({ body: i.bytes })),
    { headers: auth(EDITOR) },
  );
  expect(response.status, JSON.stringify(response.json)).toBe(200);
}

describe(`#14: change feed (${testDb})`, () => {
  const study = newUid();
  const series = newUid();
  const first = makeInstance({
    studyInstanceUid: study,
    seriesInstanceUid: series,
    patientId: 'PID-A',
  });
  const second = makeInstance({
    studyInstanceUid: study,
    seriesInstanceUid: series,
    patientId: 'PID-A',
  });
  const other = makeInstance({ patientId: 'PID-B', modality: 'MR' });
  let start = 0;

  it('STOW, replace and DELETE produce create, update and delete entries in order', async () => {
    start = (await feed('?offset=0&limit=200')).at(-1)?.Sequence ?? 0;
    // The first instance creates the series (the transaction path); the second joins it
    // unchanged (the one-statement path); the third is another patient's.
    await store(first);
    await store(second);
    await store(other);
    await store(makeSameUids(first, { patientId: 'PID-A', pixelBytes: 128 })); // a new version under the same SOP Instance UID
    const deleted = await fetch(
      `${server.base}/studies/${study}/series/${series}/instances/${second.sopInstanceUid}`,
      { method: 'DELETE', headers: auth(EDITOR) },
    );
    expect(deleted.status).toBe(204);

    const entries = await feed(`?offset=${start}&limit=10`);
    expect(entries.map((e) => [e.Action, e.SopInstanceUid, e.State])).toEqual([
      ['create', first.sopInstanceUid, 'replaced'],
      ['create', second.sopInstanceUid, 'deleted'],
      ['create', other.sopInstanceUid, 'current'],
      ['update', first.sopInstanceUid, 'current'],
      ['delete', second.sopInstanceUid, 'deleted'],
    ]);
    const sequences = entries.map((e) => e.Sequence);
    expect(sequences).toEqual([...sequences].sort((x, y) => x - y));
    expect(new Set(sequences).size).toBe(5);
    expect(sequences[0]).toBeGreaterThan(start);
    for (const e of entries.filter((e) => e.SopInstanceUid !== other.sopInstanceUid)) {
      expect([e.StudyInstanceUid, e.SeriesInstanceUid]).toEqual([study, series]);
    }
    expect(Object.keys(entries[0]).sort()).toEqual(
      [
        'Action',
        'Metadata',
        'Sequence',
        'SeriesInstanceUid',
        'SopInstanceUid',
        'State',
        'StudyInstanceUid',
        'Timestamp',
      ].sort(),
    );
    for (const e of entries) expect(Date.parse(e.Timestamp)).toBeGreaterThan(Date.now() - 600_000);
    // Metadata (default includeMetadata=true) only where the entry's version is the stored one.
    expect(entries[3].Metadata['00080018'].Value).toEqual([first.sopInstanceUid]);
    expect(entries[2].Metadata['00100020'].Value).toEqual(['PID-B']);
    expect(entries[0].Metadata).toBeNull();
    expect(entries[4].Metadata).toBeNull();

    const bare = await feed(`?offset=${start}&limit=10&includeMetadata=false`);
    expect(bare.map((e) => e.Sequence)).toEqual(sequences);
    expect(bare.every((e) => !('Metadata' in e))).toBe(true);
  });

  it('pages by offset (a Sequence) and limit; latest is the newest entry', async () => {
    const all = await feed(`?offset=${start}&limit=10&includemetadata=false`);
    const page1 = await feed(`?offset=${start}&limit=2&includeMetadata=false`);
    const page2 = await feed(`?offset=${page1.at(-1).Sequence}&limit=2&includeMetadata=false`);
    const page3 = await feed(`?offset=${page2.at(-1).Sequence}&limit=2&includeMetadata=false`);
    expect([...page1, ...page2, ...page3]).toEqual(all);
    expect(page3).toHaveLength(1);
    expect(await feed(`?offset=${all.at(-1).Sequence}`)).toEqual([]);

    const latest = await fetch(`${server.base}/changefeed/latest?includeMetadata=false`, {
      headers: auth(EDITOR),
    });
    expect(await latest.json()).toEqual(all.at(-1));

    for (const bad of ['limit=0', 'limit=201', 'offset=-1', 'offset=x', 'includeMetadata=yes']) {
      const response = await fetch(`${server.base}/changefeed?${bad}`, { headers: auth(EDITOR) });
      expect(response.status, bad).toBe(400);
    }
  });

  it("a patient-scoped principal sees only its patients' entries", async () => {
    const entries = await feed(`?offset=${start}&limit=10`, ALICE);
    expect(entries.map((e) => e.SopInstanceUid)).not.toContain(other.sopInstanceUid);
    expect(entries).toHaveLength(4);
    const latest = await fetch(`${server.base}/changefeed/latest`, { headers: auth(ALICE) });
    expect(((await latest.json()) as any).SopInstanceUid).toBe(second.sopInstanceUid);
    // Reading the feed is recorded as a query, as QIDO-RS is.
    expect(
      sink.events.some((e) => e.type === 'query' && e.detail?.['resource'] === 'changefeed'),
    ).toBe(true);
  });

  it('needs credentials', async () => {
    expect((await fetch(`${server.base}/changefeed`)).status).toBe(401);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QidoUnknownAttributeError } from '../index/qido/errors.js';
import { InvalidUidError } from './errors.js';
import { SearchService } from './search.js';
import { MemoryAuditSink } from '../audit/testing/memory-sink.js';
import {
  bodyOf,
  openServiceFixture,
  testInstance,
  testUid,
  TEST_ACTOR,
  type ServiceFixture,
  type TestInstance,
} from './testing/service-fixture.js';

let f: ServiceFixture;
let search: SearchService;
const study = testUid();
const series = testUid();
let a: TestInstance;
let b: TestInstance;
let c: TestInstance;

beforeAll(async () => {
  f = await openServiceFixture();
  search = new SearchService({
    db: f.db,
    options: { defaultLimit: 100, maxLimit: 2 },
    audit: new MemoryAuditSink(),
  });
  // Two instances in one series of one study, and one in a study of another patient.
  a = testInstance({ studyInstanceUid: study, seriesInstanceUid: series, patientId: 'P-A' });
  b = testInstance({ studyInstanceUid: study, seriesInstanceUid: series, patientId: 'P-A' });
  c = testInstance({ patientId: 'P-C', patientName: 'Other^Person', modality: 'MR' });
  for (const instance of [a, b, c]) {
    expect(await f.storeInstances.storeOne(bodyOf(instance.bytes))).toMatchObject({ ok: true });
  }
});
afterAll(() => f.close());

const value = (dataset: Record<string, { Value?: unknown[] }>, tag: string) =>
  dataset[tag]?.Value?.[0];

describe('SearchService.search', () => {
  it('finds studies by PatientID with their counts and a RetrieveURL under the given base', async () => {
    const result = await search.search({
      resource: { level: 'study' },
      params: [['PatientID', 'P-A']],
      retrieveBase: 'https://pacs.test/dicom-web',
      actor: TEST_ACTOR,
    });
    expect(result.datasets).toHaveLength(1);
    const [found] = result.datasets;
    expect(value(found!, '0020000D')).toBe(study);
    expect(value(found!, '00100020')).toBe('P-A');
    expect(value(found!, '00201208')).toBe(2); // NumberOfStudyRelatedInstances
    expect(value(found!, '00081190')).toBe(`https://pacs.test/dicom-web/studies/${study}`);
    expect(result).toMatchObject({ remaining: 0, warnings: [] });
  });

  it('matches PatientName with a wildcard and finds nothing for an unknown value', async () => {
    const other = await search.search({
      resource: { level: 'study' },
      params: [['PatientName', 'Oth*']],
      retrieveBase: 'http://x',
      actor: TEST_ACTOR,
    });
    expect(other.datasets.map((d) => value(d, '0020000D'))).toEqual([c.studyInstanceUid]);
    const none = await search.search({
      resource: { level: 'study' },
      params: [['PatientID', 'nobody']],
      retrieveBase: 'http://x',
      actor: TEST_ACTOR,
    });
    expect(none.datasets).toEqual([]);
  });

  it('lists the instances of a series, and pages at maxLimit with what remains', async () => {
    const result = await search.search({
      resource: { level: 'instance', studyInstanceUid: study, seriesInstanceUid: series },
      params: [],
      retrieveBase: 'http://x',
      actor: TEST_ACTOR,
    });
    expect(result.datasets.map((d) => value(d, '00080018')).sort()).toEqual(
      [a.sopInstanceUid, b.sopInstanceUid].sort(),
    );
    const page = await search.search({
      resource: { level: 'instance' },
      params: [['limit', '1']],
      retrieveBase: 'http://x',
      actor: TEST_ACTOR,
    });
    expect(page.datasets).toHaveLength(1);
    expect(page).toMatchObject({ remaining: 2, nextOffset: 1 });
  });

  it('refuses a malformed UID in the resource and an unknown attribute with typed errors', async () => {
    await expect(
      search.search({
        resource: { level: 'series', studyInstanceUid: '1..2' },
        params: [],
        retrieveBase: 'http://x',
        actor: TEST_ACTOR,
      }),
    ).rejects.toBeInstanceOf(InvalidUidError);
    await expect(
      search.search({
        resource: { level: 'study' },
        params: [['NoSuchKeyword', '1']],
        retrieveBase: 'http://x',
        actor: TEST_ACTOR,
      }),
    ).rejects.toBeInstanceOf(QidoUnknownAttributeError);
  });
});

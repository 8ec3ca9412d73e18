import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MetadataRow } from '../index/retrieve.repository.js';
import { ResourceNotFoundError, InvalidUidError } from './errors.js';
import { InstanceLookup } from './instance-lookup.js';
import { RetrieveMetadata } from './retrieve-metadata.js';
import { RetrieveAudit } from './audit-records.js';
import { MemoryAuditSink } from '../audit/testing/memory-sink.js';
import {
  bodyOf,
  openServiceFixture,
  testInstance,
  testUid,
  type ServiceFixture,
  type TestInstance,
} from './testing/service-fixture.js';

let f: ServiceFixture;
let metadata: RetrieveMetadata;
const study = testUid();
let first: TestInstance;
let second: TestInstance;

beforeAll(async () => {
  f = await openServiceFixture();
  metadata = new RetrieveMetadata({
    lookup: new InstanceLookup({ db: f.db }),
    audit: new RetrieveAudit(new MemoryAuditSink()),
  });
  first = testInstance({ studyInstanceUid: study, patientName: 'Doe^Jane' });
  second = testInstance({ studyInstanceUid: study });
  for (const instance of [first, second]) {
    expect(await f.storeInstances.storeOne(bodyOf(instance.bytes))).toMatchObject({ ok: true });
  }
});
afterAll(() => f.close());

async function jsonOf(rows: readonly MetadataRow[]): Promise<any[]> {
  let text = '';
  for await (const chunk of metadata.json(
    rows,
    (row) => `https://pacs.test/i/${row.sopInstanceUid}`,
  ))
    text += chunk;
  return JSON.parse(text) as any[];
}

describe('RetrieveMetadata', () => {
  it('gives the DICOM JSON of each instance of a study, as stored, with absolute BulkDataURIs', async () => {
    const rows = await metadata.find({ study });
    expect(rows.map((r) => r.sopInstanceUid).sort()).toEqual(
      [first.sopInstanceUid, second.sopInstanceUid].sort(),
    );
    const json = await jsonOf(rows);
    expect(json).toHaveLength(2);
    const mine = json.find((d) => d['00080018'].Value[0] === first.sopInstanceUid);
    // Literal values of the built instance (PS3.18 F.2): not derived from the scanner.
    expect(mine['0020000D']).toEqual({ vr: 'UI', Value: [study] });
    expect(mine['00100010']).toEqual({ vr: 'PN', Value: [{ Alphabetic: 'Doe^Jane' }] });
    expect(mine['00280010']).toEqual({ vr: 'US', Value: [2] });
    expect(mine['7FE00010']).toEqual({
      vr: 'OW',
      BulkDataURI: `https://pacs.test/i/${first.sopInstanceUid}/bulkdata/7FE00010`,
    });
  });

  it('narrows to one instance, and answers an empty array for no rows', async () => {
    const rows = await metadata.find({
      study,
      series: first.seriesInstanceUid,
      instance: first.sopInstanceUid,
    });
    expect(rows.map((r) => r.sopInstanceUid)).toEqual([first.sopInstanceUid]);
    expect(await jsonOf([])).toEqual([]);
  });

  it('throws ResourceNotFoundError for an unknown study and InvalidUidError for a malformed one', async () => {
    await expect(metadata.find({ study: testUid() })).rejects.toBeInstanceOf(ResourceNotFoundError);
    await expect(metadata.find({ study: '1..2' })).rejects.toBeInstanceOf(InvalidUidError);
  });
});

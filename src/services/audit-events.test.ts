/**
 * The audit events the DICOMweb use cases raise (PS3.15 A.5, IHE ATNA), field by field, and
 * what happens when the trail cannot take them.
 */
import { Readable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AuditUnavailableError } from '../audit/errors.js';
import { MemoryAuditSink } from '../audit/testing/memory-sink.js';
import { ImagingPool } from '../imaging/imaging-pool.js';
import { findInstance } from '../index/current-instance.repository.js';
import type { Actor } from './actor.js';
import { RetrieveAudit } from './audit-records.js';
import { createServices, type Services } from './services.js';
import { StowService } from './stow.js';
import {
  blobKeys,
  bodyOf,
  openServiceFixture,
  scopedActor,
  STORE_OPTIONS,
  testInstance,
  testUid,
  type ServiceFixture,
  type TestInstance,
} from './testing/service-fixture.js';
import { VerifyStorage } from './verify.js';

let f: ServiceFixture;
let imaging: ImagingPool;
let services: Services;
const sink = new MemoryAuditSink();
const actor: Actor = {
  user: { id: 'reader-key', method: 'api-key', roles: ['reader'] },
  clientAddress: '192.0.2.7',
  requestId: 'req-1',
};

beforeAll(async () => {
  f = await openServiceFixture();
  imaging = new ImagingPool({ concurrency: 1, maxQueue: 1 });
  services = createServices({
    db: f.db,
    store: f.store,
    stores: f.stores,
    log: f.log,
    storeOptions: STORE_OPTIONS,
    imaging,
    audit: sink,
  });
});
afterAll(async () => {
  await imaging.close();
  await f.close();
});
beforeEach(() => {
  sink.fail(false);
  sink.take();
});

function stow(instances: (TestInstance | Uint8Array)[], as: Actor = actor, stow = services.stow) {
  return stow.store(
    instances.map((i) => ({ body: bodyOf(i instanceof Uint8Array ? i : i.bytes) })),
    { actor: as },
  );
}

const who = {
  user: actor.user,
  clientAddress: '192.0.2.7',
  requestId: 'req-1',
};

describe('STOW-RS records 110104 Instances Transferred', () => {
  it('#12: one record per patient, with its studies and counts; unreadable parts in one record without a patient', async () => {
    const studyA = testUid();
    const a = [
      testInstance({ studyInstanceUid: studyA, patientId: 'PID-A' }),
      testInstance({ studyInstanceUid: studyA, patientId: 'PID-A' }),
    ];
    const b = testInstance({ patientId: 'PID-B' });
    await stow([...a, b, new TextEncoder().encode('not dicom')]);
    const events = sink.take();
    expect(events).toEqual([
      {
        type: 'instances-transferred',
        action: 'C',
        outcome: 0,
        ...who,
        patient: { patientId: 'PID-A', studyUids: [studyA] },
        detail: { instances: 2, failed: 0 },
      },
      {
        type: 'instances-transferred',
        action: 'C',
        outcome: 0,
        ...who,
        patient: { patientId: 'PID-B', studyUids: [b.studyInstanceUid] },
        detail: { instances: 1, failed: 0 },
      },
      {
        type: 'instances-transferred',
        action: 'C',
        outcome: 8,
        ...who,
        detail: { instances: 0, failed: 1 },
      },
    ]);
  });

  it('#12: outcome 4 when some of a patient’s instances failed, 8 when all did (a refusal of the scope included)', async () => {
    const stored = testInstance({ patientId: 'PID-C' });
    await stow([stored]);
    sink.take();
    // The same SOP Instance UID with other bytes: refused under the default policy (0111).
    const clash = testInstance({
      sopInstanceUid: stored.sopInstanceUid,
      patientId: 'PID-C',
      pixels: [7, 7, 7, 7],
    });
    const fresh = testInstance({ patientId: 'PID-C' });
    await stow([fresh, clash]);
    expect(sink.take()).toMatchObject([
      { outcome: 4, patient: { patientId: 'PID-C' }, detail: { instances: 1, failed: 1 } },
    ]);
    const scoped = { ...scopedActor('PID-A'), requestId: 'req-2' };
    const other = testInstance({ patientId: 'PID-Z' });
    await stow([other], scoped);
    expect(sink.take()).toEqual([
      {
        type: 'instances-transferred',
        action: 'C',
        outcome: 8,
        user: scoped.user,
        requestId: 'req-2',
        patient: { patientId: 'PID-Z', studyUids: [other.studyInstanceUid] },
        detail: { instances: 0, failed: 1 },
      },
    ]);
  });

  it('#12: action U when an instance replaced a stored one', async () => {
    const replacing = new StowService({
      db: f.db,
      store: f.storeWith({ duplicatePolicy: 'replace' }),
      audit: sink,
    });
    const first = testInstance({ patientId: 'PID-U' });
    await stow([first], actor, replacing);
    expect(sink.take()).toMatchObject([{ action: 'C' }]);
    const second = testInstance({
      sopInstanceUid: first.sopInstanceUid,
      studyInstanceUid: first.studyInstanceUid,
      seriesInstanceUid: first.seriesInstanceUid,
      patientId: 'PID-U',
      pixels: [4, 3, 2, 1],
    });
    await stow([second], actor, replacing);
    expect(sink.take()).toMatchObject([{ action: 'U', outcome: 0, detail: { instances: 1 } }]);
  });

  it('#12: a trail that cannot be written fails the request (audit.unavailable), the instance stays stored, and the retry is recorded', async () => {
    const instance = testInstance({ patientId: 'PID-F' });
    sink.fail();
    await expect(stow([instance])).rejects.toBeInstanceOf(AuditUnavailableError);
    expect(await findInstance(f.db, instance.sopInstanceUid)).toBeDefined();
    sink.fail(false);
    const retry = await stow([instance]);
    expect(retry.parts).toMatchObject([{ outcome: { ok: true, result: 'duplicate' } }]);
    expect(sink.take()).toMatchObject([{ outcome: 0, patient: { patientId: 'PID-F' } }]);
  });
});

describe('QIDO-RS records 110112 Query', () => {
  it('#12: with the query string as received and the level and number of results', async () => {
    const instance = testInstance({ patientId: 'PID-Q' });
    await stow([instance]);
    sink.take();
    const result = await services.search.search({
      resource: { level: 'study' },
      params: [['PatientID', 'PID-Q']],
      retrieveBase: 'http://x',
      actor,
      queryString: 'PatientID=PID-Q',
    });
    expect(result.datasets).toHaveLength(1);
    expect(sink.take()).toEqual([
      {
        type: 'query',
        action: 'E',
        outcome: 0,
        ...who,
        query: 'PatientID=PID-Q',
        detail: { level: 'study', results: 1 },
      },
    ]);
  });

  it('#12: fails with audit.unavailable when the query cannot be recorded', async () => {
    sink.fail();
    await expect(
      services.search.search({
        resource: { level: 'series' },
        params: [],
        retrieveBase: 'http://x',
        actor,
      }),
    ).rejects.toBeInstanceOf(AuditUnavailableError);
  });
});

describe('WADO-RS records reads when the body is opened', () => {
  let instance: TestInstance;
  beforeAll(async () => {
    sink.fail(false);
    instance = testInstance({ patientId: 'PID-W' });
    await stow([instance]);
  });

  it('#12: metadata → 110103 Instances Accessed, instances → 110104 Instances Transferred (action R)', async () => {
    const metadata = await services.retrieve.metadata.prepare(
      { study: instance.studyInstanceUid },
      'http://x',
      actor,
    );
    const plan = metadata.choose({ offer: metadata.offers[0]! });
    expect(sink.events).toEqual([]); // negotiated, nothing sent yet
    await plan.open();
    const instances = await services.retrieve.instances.prepare(
      { study: instance.studyInstanceUid },
      actor,
    );
    const body = await instances.choose({ offer: instances.offers[0]! }).open();
    if (body.kind === 'multipart')
      for await (const part of body.parts) (part.body as Readable).resume?.();
    const patient = { patientId: 'PID-W', studyUids: [instance.studyInstanceUid] };
    expect(sink.take()).toEqual([
      {
        type: 'instances-accessed',
        action: 'R',
        outcome: 0,
        ...who,
        patient,
        detail: { instances: 1 },
      },
      {
        type: 'instances-transferred',
        action: 'R',
        outcome: 0,
        ...who,
        patient,
        detail: { instances: 1 },
      },
    ]);
  });

  it('#12: reads nothing from storage when the record cannot be written', async () => {
    sink.fail();
    const choices = await services.retrieve.instances.prepare(
      {
        study: instance.studyInstanceUid,
        series: instance.seriesInstanceUid,
        instance: instance.sopInstanceUid,
      },
      actor,
    );
    const dicom = choices.offers.find((o) => o.type === 'application/dicom')!;
    await expect(choices.choose({ offer: dicom }).open()).rejects.toBeInstanceOf(
      AuditUnavailableError,
    );
  });
});

describe('DELETE records 110105 Study Deleted or 110103 (action D)', () => {
  it('#12: a study → 110105, an instance → 110103, each with its patient and study', async () => {
    const study = testUid();
    const [one, two] = [
      testInstance({ studyInstanceUid: study, patientId: 'PID-D' }),
      testInstance({ studyInstanceUid: study, patientId: 'PID-D' }),
    ];
    await stow([one, two]);
    sink.take();
    await services.delete.delete(
      {
        studyInstanceUid: study,
        seriesInstanceUid: one.seriesInstanceUid,
        sopInstanceUid: one.sopInstanceUid,
      },
      actor,
    );
    await services.delete.delete({ studyInstanceUid: study }, actor);
    const patient = { patientId: 'PID-D', studyUids: [study] };
    expect(sink.take()).toEqual([
      {
        type: 'instances-accessed',
        action: 'D',
        outcome: 0,
        ...who,
        patient,
        detail: { instances: 1 },
      },
      { type: 'study-deleted', action: 'D', outcome: 0, ...who, patient, detail: { instances: 1 } },
    ]);
  });
});

describe('110113 Security Alert on read', () => {
  it('#12: a stored object failing its integrity check while opened raises an alert with the reader and patient', async () => {
    const damaged = Object.assign(new Error('authentication tag mismatch'), {
      code: 'storage.integrity',
    });
    const plan = new RetrieveAudit(sink).representation(
      { etag: '"x"', revalidate: false, open: () => Promise.reject(damaged) },
      actor,
      'instances-transferred',
      [{ patientId: 'PID-I', studyInstanceUid: '1.2.3' }],
      { instances: 1 },
    );
    await expect(plan.open()).rejects.toBe(damaged);
    const patient = { patientId: 'PID-I', studyUids: ['1.2.3'] };
    expect(sink.take()).toEqual([
      {
        type: 'instances-transferred',
        action: 'R',
        outcome: 0,
        ...who,
        patient,
        detail: { instances: 1 },
      },
      {
        type: 'security-alert',
        action: 'E',
        outcome: 8,
        ...who,
        patient,
        detail: { alert: 'integrity' },
      },
    ]);
  });
});

describe('verify records 110113 Security Alert', () => {
  it('#12: for a blob whose bytes no longer match, without a user', async () => {
    const instance = testInstance({ patientId: 'PID-V' });
    await stow([instance]);
    sink.take();
    const { blobKey } = (await findInstance(f.db, instance.sopInstanceUid))!;
    const altered = Buffer.from(instance.bytes);
    const last = altered.length - 1;
    altered.writeUInt8(altered.readUInt8(last) ^ 0xff, last);
    if ((await blobKeys(f.store)).includes(blobKey)) await f.store.delete(blobKey);
    await f.store.put(blobKey, Readable.from([altered]));
    const verify = new VerifyStorage({ db: f.db, stores: f.stores, log: f.log, audit: sink });
    const report = await verify.run({ checksums: true, removeOrphans: false, concurrency: 1 });
    expect(report.checksumMismatches).toBe(1);
    expect(sink.take()).toEqual([
      {
        type: 'security-alert',
        action: 'E',
        outcome: 8,
        detail: { alert: 'integrity', found: 'verify', tier: 'memory' },
      },
    ]);
  });
});

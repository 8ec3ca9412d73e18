/**
 * Per-patient scoping in the services (SMART on FHIR style patient context): an actor with
 * patientIds sees, retrieves, stores and deletes only the studies of those patients; another
 * patient's study is answered exactly as if it did not exist.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryAuditSink } from '../audit/testing/memory-sink.js';
import { ImagingPool } from '../imaging/imaging-pool.js';
import type { Actor } from './actor.js';
import { ResourceNotFoundError } from './errors.js';
import { FailureReason, type StoreOutcome } from './outcomes.js';
import { createServices, type Services } from './services.js';
import {
  bodyOf,
  openServiceFixture,
  scopedActor,
  STORE_OPTIONS,
  TEST_ACTOR,
  testInstance,
  testUid,
  type ServiceFixture,
  type TestInstance,
} from './testing/service-fixture.js';

let f: ServiceFixture;
let imaging: ImagingPool;
let services: Services;
/** Patient A: two studies (the first with two instances); patient B: one study. */
const a1 = testUid();
const a2 = testUid();
const b1 = testUid();
let a1First: TestInstance;
let b1Only: TestInstance;
const alice = scopedActor('PID-A');

async function stow(actor: Actor, instances: TestInstance[], study?: string) {
  const result = await services.stow.store(
    instances.map((i) => ({ body: bodyOf(i.bytes) })),
    { actor, studyInstanceUid: study },
  );
  return result.parts.map((p) => ('outcome' in p ? p.outcome : undefined));
}

beforeAll(async () => {
  f = await openServiceFixture();
  imaging = new ImagingPool({ concurrency: 1, maxQueue: 1 });
  services = createServices({
    db: f.db,
    store: f.store,
    stores: f.stores,
    log: f.log,
    storeOptions: { ...STORE_OPTIONS, duplicatePolicy: 'replace' },
    imaging,
    audit: new MemoryAuditSink(),
  });
  const series = testUid();
  a1First = testInstance({ studyInstanceUid: a1, seriesInstanceUid: series, patientId: 'PID-A' });
  b1Only = testInstance({ studyInstanceUid: b1, patientId: 'PID-B', modality: 'MR' });
  const outcomes = await stow(TEST_ACTOR, [
    a1First,
    testInstance({ studyInstanceUid: a1, seriesInstanceUid: series, patientId: 'PID-A' }),
    testInstance({ studyInstanceUid: a2, patientId: 'PID-A' }),
    b1Only,
  ]);
  expect(outcomes.every((o) => o?.ok)).toBe(true);
});
afterAll(async () => {
  await imaging.close();
  await f.close();
});

const uidOf = (ds: Record<string, { Value?: unknown[] }>, tag: string) => ds[tag]?.Value?.[0];

function search(actor: Actor, level: 'study' | 'series' | 'instance', params: string[][] = []) {
  return services.search.search({
    resource: { level },
    params: params as [string, string][],
    retrieveBase: 'http://x',
    actor,
  });
}

describe('QIDO-RS within a patient scope', () => {
  it('#12: finds only the scoped patient’s studies, series and instances, at every level', async () => {
    const studies = await search(alice, 'study');
    expect(studies.datasets.map((d) => uidOf(d, '0020000D')).sort()).toEqual([a1, a2].sort());
    const series = await search(alice, 'series');
    expect(new Set(series.datasets.map((d) => uidOf(d, '0020000D')))).toEqual(new Set([a1, a2]));
    const instances = await search(alice, 'instance');
    expect(instances.datasets).toHaveLength(3);
    expect(instances.datasets.map((d) => uidOf(d, '0020000D'))).not.toContain(b1);
    // Unscoped, all three studies are there.
    expect((await search(TEST_ACTOR, 'study')).datasets).toHaveLength(3);
  });

  it('#12: pages over the scoped matches only (limit/offset and the remaining count)', async () => {
    const first = await search(alice, 'study', [['limit', '1']]);
    expect(first.datasets).toHaveLength(1);
    expect(first.remaining).toBe(1);
    const second = await search(alice, 'study', [
      ['limit', '1'],
      ['offset', '1'],
    ]);
    expect(second.datasets).toHaveLength(1);
    expect(second.remaining).toBe(0);
    const both = [first, second].map((p) => uidOf(p.datasets[0]!, '0020000D'));
    expect(both.sort()).toEqual([a1, a2].sort());
  });

  it('#12: computes study attributes from the scoped studies, and a PatientID match outside the scope finds nothing', async () => {
    const [study] = (await search(alice, 'study', [['StudyInstanceUID', a1]])).datasets;
    expect(uidOf(study!, '00201208')).toBe(2); // NumberOfStudyRelatedInstances
    expect(uidOf(study!, '00201206')).toBe(1); // NumberOfStudyRelatedSeries
    expect((await search(alice, 'study', [['PatientID', 'PID-B']])).datasets).toEqual([]);
    expect((await search(alice, 'study', [['ModalitiesInStudy', 'MR']])).datasets).toEqual([]);
  });

  it('#12: an empty patient list sees nothing', async () => {
    expect((await search(scopedActor(), 'study')).datasets).toEqual([]);
    expect((await search(scopedActor(), 'instance')).datasets).toEqual([]);
  });
});

describe('WADO-RS within a patient scope', () => {
  const bScope = () => ({
    study: b1,
    series: b1Only.seriesInstanceUid,
    instance: b1Only.sopInstanceUid,
  });

  it('#12: answers another patient’s study, series and instance as not found, for every retrieve', async () => {
    const { retrieve } = services;
    const notFound = (p: Promise<unknown>) =>
      expect(p).rejects.toBeInstanceOf(ResourceNotFoundError);
    await notFound(retrieve.instances.prepare({ study: b1 }, alice));
    await notFound(
      retrieve.instances.prepare({ study: b1, series: b1Only.seriesInstanceUid }, alice),
    );
    await notFound(retrieve.instances.prepare(bScope(), alice));
    await notFound(retrieve.metadata.prepare({ study: b1 }, 'http://x', alice));
    await notFound(retrieve.frames.prepare(bScope(), [1], alice));
    await notFound(retrieve.bulkData.prepare(bScope(), '7FE00010', false, alice));
    await notFound(
      retrieve.rendered.prepare('rendered', {
        scope: bScope(),
        mediaType: 'image/jpeg',
        params: {},
        actor: alice,
      }),
    );
    await notFound(retrieve.metadata.prepare({ study: b1 }, 'http://x', scopedActor()));
  });

  it('#12: retrieves the scoped patient’s own studies as usual', async () => {
    const choices = await services.retrieve.metadata.prepare({ study: a1 }, 'http://x', alice);
    expect(choices.offers.length).toBeGreaterThan(0);
    const rows = await services.retrieve.instances.prepare({ study: a1 }, alice);
    expect(rows.offers.length).toBeGreaterThan(0);
  });
});

describe('DELETE within a patient scope', () => {
  it('#12: answers another patient’s study as not found and leaves it stored', async () => {
    await expect(services.delete.delete({ studyInstanceUid: b1 }, alice)).rejects.toBeInstanceOf(
      ResourceNotFoundError,
    );
    await expect(
      services.delete.delete(
        {
          studyInstanceUid: b1,
          seriesInstanceUid: b1Only.seriesInstanceUid,
          sopInstanceUid: b1Only.sopInstanceUid,
        },
        alice,
      ),
    ).rejects.toBeInstanceOf(ResourceNotFoundError);
    expect((await search(TEST_ACTOR, 'study', [['StudyInstanceUID', b1]])).datasets).toHaveLength(
      1,
    );
  });
});

describe('STOW-RS within a patient scope', () => {
  const refused = (outcome: StoreOutcome | undefined) =>
    expect(outcome).toMatchObject({ ok: false, reason: FailureReason.NotAuthorized });

  it('#12: refuses an instance of another patient (0124 Not Authorized), stores the scoped one', async () => {
    const mine = testInstance({ patientId: 'PID-A' });
    const theirs = testInstance({ patientId: 'PID-B' });
    const [ok, no] = await stow(alice, [mine, theirs]);
    expect(ok).toMatchObject({ ok: true, sopInstanceUid: mine.sopInstanceUid });
    refused(no);
    const found = await search(TEST_ACTOR, 'instance', [['SOPInstanceUID', theirs.sopInstanceUid]]);
    expect(found.datasets).toEqual([]);
  });

  it('#12: refuses an instance of the scoped patient into a study stored under another patient, as for an unknown one', async () => {
    const intoB = testInstance({ studyInstanceUid: b1, patientId: 'PID-A' });
    const [posted] = await stow(alice, [intoB], b1);
    refused(posted);
    const [plain] = await stow(alice, [testInstance({ studyInstanceUid: b1, patientId: 'PID-A' })]);
    refused(plain);
    const [study] = (await search(TEST_ACTOR, 'study', [['StudyInstanceUID', b1]])).datasets;
    expect(uidOf(study!, '00201208')).toBe(1);
  });

  it('#12: refuses to replace an instance stored in another patient’s study (it would move it)', async () => {
    const hijack = testInstance({
      sopInstanceUid: b1Only.sopInstanceUid,
      patientId: 'PID-A',
      pixels: [9, 9, 9, 9],
    });
    const [outcome] = await stow(alice, [hijack]);
    refused(outcome);
    const found = await search(TEST_ACTOR, 'instance', [['SOPInstanceUID', b1Only.sopInstanceUid]]);
    expect(found.datasets.map((d) => uidOf(d, '0020000D'))).toEqual([b1]);
  });
});

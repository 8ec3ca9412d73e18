/**
 * Two instances share a StudyInstanceUID but name different patients. Rule: both are stored;
 * the study keeps the patient of the instance stored first (whatever arrives later, in another
 * request or a later part of the same one); the later instance keeps its own patient in its
 * metadata, and its STOW answer carries WarningReason B00A (Strata-specific) with 202. QIDO
 * shows and matches the study's patient only.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeInstance, newUid, type GeneratedInstance } from './helpers/make-dicom.js';
import { stow } from './helpers/multipart.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { get } from './helpers/wado-multipart.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close();
});

const PATIENT_CONFLICT = 0xb00a;

function pair(study: string): { alice: GeneratedInstance; bob: GeneratedInstance } {
  return {
    alice: makeInstance({ studyInstanceUid: study, patientId: 'PID-A', patientName: 'Alpha^Ann' }),
    bob: makeInstance({ studyInstanceUid: study, patientId: 'PID-B', patientName: 'Beta^Bob' }),
  };
}

async function json(url: string): Promise<{ status: number; body: any }> {
  const response = await get(url);
  return {
    status: response.status,
    body: response.status === 200 ? JSON.parse(response.body.toString()) : undefined,
  };
}

/** The study as QIDO shows it, and whether a PatientID search finds it. */
async function studyAsQueried(study: string) {
  const found = await json(`${server.base}/studies?StudyInstanceUID=${study}`);
  expect(found.status).toBe(200);
  const [row] = found.body;
  return {
    patientId: row['00100020'].Value[0],
    patientName: row['00100010'].Value[0].Alphabetic,
    instances: row['00201208'].Value[0],
  };
}

async function foundByPatientId(study: string, patientId: string): Promise<boolean> {
  const found = await json(
    `${server.base}/studies?StudyInstanceUID=${study}&PatientID=${patientId}`,
  );
  return found.status === 200;
}

async function patientOfInstanceMetadata(i: GeneratedInstance): Promise<string> {
  const { body } = await json(
    `${server.base}/studies/${i.studyInstanceUid}/series/${i.seriesInstanceUid}/instances/${i.sopInstanceUid}/metadata`,
  );
  return body[0]['00100020'].Value[0];
}

function warnings(response: { json: any }): (number | undefined)[] {
  return (response.json['00081199'].Value as any[]).map((item) => item['00081196']?.Value[0]);
}

describe('instances of one study naming different patients', () => {
  it('A then B in two requests: the study stays with A, B is stored with a warning', async () => {
    const study = newUid();
    const { alice, bob } = pair(study);
    expect((await stow(`${server.base}/studies`, [{ body: alice.bytes }])).status).toBe(200);
    const second = await stow(`${server.base}/studies`, [{ body: bob.bytes }]);
    expect(second.status).toBe(202);
    expect(warnings(second)).toEqual([PATIENT_CONFLICT]);

    expect(await studyAsQueried(study)).toEqual({
      patientId: 'PID-A',
      patientName: 'Alpha^Ann',
      instances: 2,
    });
    expect(await foundByPatientId(study, 'PID-A')).toBe(true);
    expect(await foundByPatientId(study, 'PID-B')).toBe(false);
    expect(await patientOfInstanceMetadata(bob)).toBe('PID-B');
    expect(await patientOfInstanceMetadata(alice)).toBe('PID-A');
  });

  it('B then A in two requests: the study stays with B, A is warned', async () => {
    const study = newUid();
    const { alice, bob } = pair(study);
    expect((await stow(`${server.base}/studies`, [{ body: bob.bytes }])).status).toBe(200);
    const second = await stow(`${server.base}/studies`, [{ body: alice.bytes }]);
    expect(second.status).toBe(202);
    expect(warnings(second)).toEqual([PATIENT_CONFLICT]);
    expect(await studyAsQueried(study)).toEqual({
      patientId: 'PID-B',
      patientName: 'Beta^Bob',
      instances: 2,
    });
    expect(await foundByPatientId(study, 'PID-A')).toBe(false);
  });

  it('both in one request, either order: the first part wins, the second is warned', async () => {
    for (const order of ['AB', 'BA'] as const) {
      const study = newUid();
      const { alice, bob } = pair(study);
      const parts = order === 'AB' ? [alice, bob] : [bob, alice];
      const response = await stow(
        `${server.base}/studies`,
        parts.map((p) => ({ body: p.bytes })),
      );
      expect(response.status).toBe(202);
      expect(warnings(response)).toEqual([undefined, PATIENT_CONFLICT]);
      expect((await studyAsQueried(study)).patientId).toBe(order === 'AB' ? 'PID-A' : 'PID-B');
    }
  });

  it('later instances of the same patient still update the other study attributes, without warning', async () => {
    const study = newUid();
    const first = makeInstance({ studyInstanceUid: study, patientId: 'PID-C' });
    const later = makeInstance({
      studyInstanceUid: study,
      patientId: 'PID-C',
      elements: { '00081030': { vr: 'LO', value: 'Chest' } },
    });
    expect((await stow(`${server.base}/studies`, [{ body: first.bytes }])).status).toBe(200);
    expect((await stow(`${server.base}/studies`, [{ body: later.bytes }])).status).toBe(200);
    const { body } = await json(
      `${server.base}/studies?StudyInstanceUID=${study}&includefield=00081030`,
    );
    expect(body[0]['00081030'].Value).toEqual(['Chest']);
    expect(body[0]['00100020'].Value).toEqual(['PID-C']);
  });
});

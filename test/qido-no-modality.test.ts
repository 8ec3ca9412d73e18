import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeInstance } from './helpers/make-dicom.js';
import { stow } from './helpers/multipart.js';
import { startTestServer, testDb, type TestServer } from './helpers/server.js';

/**
 * A study whose instances have no Modality (zero-length 0008,0060) in OHIF's study list query
 * (dicomweb-reference.md [OHIF-QIDO]): ModalitiesInStudy has no value, so it is left out —
 * OHIF's getModalities throws on a present ModalitiesInStudy without a Value.
 */
let server: TestServer;
const instance = makeInstance({
  patientId: 'NO-MODALITY',
  elements: { '00080060': { vr: 'CS', value: '' } },
});

beforeAll(async () => {
  server = await startTestServer();
  const r = await stow(`${server.base}/studies`, [{ body: instance.bytes }]);
  expect(r.status).toBe(200);
});
afterAll(async () => {
  await server?.close();
});

describe(`a study without a Modality in QIDO-RS (${testDb})`, () => {
  it("answers OHIF's study list query without ModalitiesInStudy, every other attribute as usual", async () => {
    const query =
      'PatientID=NO-MODALITY&limit=101&offset=0&fuzzymatching=false' +
      '&includefield=00081030,00080060,00080090,00100030';
    const r = await fetch(`${server.base}/studies?${query}`);
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual([
      {
        '00080020': { vr: 'DA', Value: ['20240102'] },
        '00080030': { vr: 'TM' },
        '00080050': { vr: 'SH' },
        '00080090': { vr: 'PN' },
        '00081190': { vr: 'UR', Value: [`${server.base}/studies/${instance.studyInstanceUid}`] },
        '00100010': { vr: 'PN', Value: [{ Alphabetic: 'Test^Patient' }] },
        '00100020': { vr: 'LO', Value: ['NO-MODALITY'] },
        '00100030': { vr: 'DA' },
        '00100040': { vr: 'CS' },
        '0020000D': { vr: 'UI', Value: [instance.studyInstanceUid] },
        '00200010': { vr: 'SH' },
        '00201206': { vr: 'IS', Value: [1] },
        '00201208': { vr: 'IS', Value: [1] },
      },
    ]);
  });
});

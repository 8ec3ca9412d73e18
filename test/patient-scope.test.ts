/**
 * Per-patient scoping over HTTP (SMART on FHIR style patient context). Two patients; a key
 * restricted to patient A sees, retrieves, stores and deletes only A's studies, and B's study
 * answers exactly as a study that does not exist.
 *
 * The real server with AUTH_METHODS=api-key; keys are created through the server's own index
 * (one process holds a PGlite directory), the patient context as `strata keys create
 * --patient-id` gives it. Audit events go to a recording sink.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryAuditSink } from '../src/audit/testing/memory-sink.js';
import { ApiKeys } from '../src/auth/api-keys.js';
import { DEFAULT_ROLES } from '../src/auth/roles.js';
import { createLogger } from '../src/lib/log.js';
import { makeInstance, newUid } from './helpers/make-dicom.js';
import { stow } from './helpers/multipart.js';
import { startTestServer, testDb, type TestServer } from './helpers/server.js';
import { get } from './helpers/wado-multipart.js';

let ADMIN = '';
let ALICE = '';
/** Scoped to a patient with no studies: sees nothing. */
let NOBODY = '';
const auth = (key: string) => ({ Authorization: `Bearer ${key}` });

const sink = new MemoryAuditSink();
let server: TestServer;
const studyA = newUid();
const seriesA = newUid();
const a = [1, 2].map(() =>
  makeInstance({ studyInstanceUid: studyA, seriesInstanceUid: seriesA, patientId: 'PID-A' }),
);
const b = makeInstance({ patientId: 'PID-B', modality: 'MR' });
const studyB = b.studyInstanceUid;
const bUrl = () =>
  `${server.base}/studies/${studyB}/series/${b.seriesInstanceUid}/instances/${b.sopInstanceUid}`;

beforeAll(async () => {
  server = await startTestServer({ AUTH_METHODS: 'api-key' }, { audit: sink });
  const keys = new ApiKeys({
    db: server.database.db,
    roles: DEFAULT_ROLES,
    log: createLogger('silent'),
  });
  ADMIN = (await keys.create({ name: 'editor-key', role: 'editor' })).key;
  ALICE = (await keys.create({ name: 'alice-key', role: 'editor', patientIds: ['PID-A'] })).key;
  NOBODY = (await keys.create({ name: 'nobody-key', role: 'reader', patientIds: ['PID-NONE'] }))
    .key;
  const stored = await stow(
    `${server.base}/studies`,
    [...a, b].map((i) => ({ body: i.bytes })),
    {
      headers: auth(ADMIN),
    },
  );
  expect(stored.status).toBe(200);
});
afterAll(async () => {
  await server?.close();
});

async function json(url: string, key: string): Promise<{ status: number; body: any }> {
  const response = await get(url, auth(key));
  return {
    status: response.status,
    body: response.body.length > 0 ? JSON.parse(response.body.toString()) : undefined,
  };
}

const studyUids = (body: any[] | undefined) =>
  (body ?? []).map((d) => d['0020000D'].Value[0] as string);

describe(`#12: per-patient scope over DICOMweb (${testDb})`, () => {
  it('#12: QIDO finds only the patient’s studies, series and instances', async () => {
    expect(studyUids((await json(`${server.base}/studies`, ADMIN)).body).sort()).toEqual(
      [studyA, studyB].sort(),
    );
    const studies = await json(`${server.base}/studies`, ALICE);
    expect(studyUids(studies.body)).toEqual([studyA]);
    expect(studies.body[0]['00201208'].Value).toEqual([2]); // NumberOfStudyRelatedInstances
    expect(studyUids((await json(`${server.base}/series`, ALICE)).body)).toEqual([studyA]);
    expect(studyUids((await json(`${server.base}/instances`, ALICE)).body)).toEqual([
      studyA,
      studyA,
    ]);
    expect((await json(`${server.base}/studies?PatientID=PID-B`, ALICE)).status).toBe(204);
    expect((await json(`${server.base}/studies/${studyB}/series`, ALICE)).status).toBe(204);
    expect((await json(`${server.base}/studies`, NOBODY)).status).toBe(204);
  });

  it('#12: WADO answers another patient’s study, series and instance as 404, like a missing one', async () => {
    const missing = await json(`${server.base}/studies/${newUid()}/metadata`, ALICE);
    expect(missing.status).toBe(404);
    for (const url of [
      `${server.base}/studies/${studyB}/metadata`,
      `${server.base}/studies/${studyB}`,
      `${server.base}/studies/${studyB}/series/${b.seriesInstanceUid}/metadata`,
      `${bUrl()}/metadata`,
      `${bUrl()}/frames/1`,
      `${bUrl()}/rendered`,
      `${bUrl()}/thumbnail`,
      `${bUrl()}/bulkdata/7FE00010`,
    ]) {
      const response = await get(url, auth(ALICE));
      expect(response.status, url).toBe(404);
      const problem = JSON.parse(response.body.toString());
      expect(problem.code, url).toBe('service.not_found');
      expect(JSON.stringify(problem)).not.toContain('PID-B');
    }
    // Same answer as a study that does not exist, but for the request's own id.
    const denied = await json(`${server.base}/studies/${studyB}/metadata`, ALICE);
    const same = (body: any) => ({ ...body, instance: undefined, requestId: undefined });
    expect(same(denied.body)).toEqual(same(missing.body));
    expect((await json(`${server.base}/studies/${studyA}/metadata`, ALICE)).status).toBe(200);
  });

  it('#12: DELETE of another patient’s study is 404 and deletes nothing', async () => {
    const response = await fetch(`${server.base}/studies/${studyB}`, {
      method: 'DELETE',
      headers: auth(ALICE),
    });
    expect(response.status).toBe(404);
    expect((await json(`${server.base}/studies/${studyB}/metadata`, ADMIN)).status).toBe(200);
  });

  it('#12: STOW refuses another patient’s instance, and one into another patient’s study, with 0124', async () => {
    const NOT_AUTHORIZED = 0x0124;
    const other = makeInstance({ patientId: 'PID-B' });
    const refused = await stow(`${server.base}/studies`, [{ body: other.bytes }], {
      headers: auth(ALICE),
    });
    expect(refused.status).toBe(409);
    expect(refused.json['00081198'].Value[0]['00081197'].Value).toEqual([NOT_AUTHORIZED]);
    const intoB = makeInstance({ studyInstanceUid: studyB, patientId: 'PID-A' });
    const posted = await stow(`${server.base}/studies/${studyB}`, [{ body: intoB.bytes }], {
      headers: auth(ALICE),
    });
    expect(posted.status).toBe(409);
    expect(posted.json['00081198'].Value[0]['00081197'].Value).toEqual([NOT_AUTHORIZED]);
    const study = await json(`${server.base}/studies?StudyInstanceUID=${studyB}`, ADMIN);
    expect(study.body[0]['00201208'].Value).toEqual([1]);
    expect((await json(`${server.base}/studies?PatientID=PID-B`, ADMIN)).body).toHaveLength(1);
    // The patient's own instance is stored as usual.
    const mine = makeInstance({ patientId: 'PID-A' });
    const ok = await stow(`${server.base}/studies`, [{ body: mine.bytes }], {
      headers: auth(ALICE),
    });
    expect(ok.status).toBe(200);
  });

  it('#12: the audit records name the key as the user', async () => {
    sink.take();
    const response = await get(`${server.base}/studies/${studyA}/metadata`, auth(ALICE));
    expect(response.status).toBe(200);
    expect(sink.take()).toEqual([
      {
        type: 'instances-accessed',
        action: 'R',
        outcome: 0,
        user: { id: 'alice-key', method: 'api-key', roles: ['editor'] },
        clientAddress: '127.0.0.1',
        requestId: response.headers.get('x-request-id'),
        patient: { patientId: 'PID-A', studyUids: [studyA] },
        detail: { instances: 2 },
      },
    ]);
  });
});

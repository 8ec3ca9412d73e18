/**
 * The audit events DICOMweb requests raise, through the real server (loopback, anonymous),
 * recorded by a sink passed in place of the trail (ComposeOverrides.audit), checked field by
 * field: type, action, outcome, user, client address, request id (= X-Request-Id), patient and
 * studies. And a trail that cannot be written turns the request into 503 audit.unavailable.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MemoryAuditSink } from '../src/audit/testing/memory-sink.js';
import { findInstance } from '../src/index/current-instance.repository.js';
import { makeInstance, newUid } from './helpers/make-dicom.js';
import { stow } from './helpers/multipart.js';
import { startTestServer, testDb, type TestServer } from './helpers/server.js';
import { get } from './helpers/wado-multipart.js';

const sink = new MemoryAuditSink();
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({}, { audit: sink });
});
afterAll(async () => {
  await server?.close();
});
beforeEach(() => {
  sink.fail(false);
  sink.take();
});

const anonymous = { id: 'anonymous', method: 'anonymous', roles: [] };
/** The loopback client the tests are (startTestServer listens on 127.0.0.1). */
const client = '127.0.0.1';

describe(`#12: audit events of DICOMweb requests (${testDb})`, () => {
  const study = newUid();
  const instance = makeInstance({ studyInstanceUid: study, patientId: 'PID-AUD' });
  const instanceUrl = () =>
    `${server.base}/studies/${study}/series/${instance.seriesInstanceUid}/instances/${instance.sopInstanceUid}`;

  it('#12: STOW records 110104 Instances Transferred, action C, for the patient and study', async () => {
    const response = await stow(`${server.base}/studies`, [{ body: instance.bytes }]);
    expect(response.status).toBe(200);
    expect(sink.take()).toEqual([
      {
        type: 'instances-transferred',
        action: 'C',
        outcome: 0,
        user: anonymous,
        clientAddress: client,
        requestId: response.headers.get('x-request-id'),
        patient: { patientId: 'PID-AUD', studyUids: [study] },
        detail: { instances: 1, failed: 0 },
      },
    ]);
  });

  it('#12: QIDO records 110112 Query with the query string as sent', async () => {
    const response = await fetch(`${server.base}/studies?PatientID=PID-AUD&includefield=all`);
    expect(response.status).toBe(200);
    expect(sink.take()).toEqual([
      {
        type: 'query',
        action: 'E',
        outcome: 0,
        user: anonymous,
        clientAddress: client,
        requestId: response.headers.get('x-request-id'),
        query: 'PatientID=PID-AUD&includefield=all',
        detail: { level: 'study', results: 1 },
      },
    ]);
  });

  const read = (type: string, detail: Record<string, unknown>, requestId: string | null) => ({
    type,
    action: 'R',
    outcome: 0,
    user: anonymous,
    clientAddress: client,
    requestId,
    patient: { patientId: 'PID-AUD', studyUids: [study] },
    detail,
  });

  it('#12: WADO instance → 110104, metadata → 110103, rendered → 110104, all action R', async () => {
    const dicom = await get(instanceUrl(), { Accept: 'application/dicom' });
    expect(dicom.status).toBe(200);
    const metadata = await get(`${server.base}/studies/${study}/metadata`);
    expect(metadata.status).toBe(200);
    const rendered = await get(`${instanceUrl()}/rendered`, { Accept: 'image/png' });
    expect(rendered.status).toBe(200);
    expect(sink.take()).toEqual([
      read('instances-transferred', { instances: 1 }, dicom.headers.get('x-request-id')),
      read('instances-accessed', { instances: 1 }, metadata.headers.get('x-request-id')),
      read(
        'instances-transferred',
        { instances: 1, rendered: 'rendered' },
        rendered.headers.get('x-request-id'),
      ),
    ]);
  });

  it('#12: a 404 records nothing', async () => {
    const missing = await get(`${server.base}/studies/${newUid()}/metadata`);
    expect(missing.status).toBe(404);
    expect(sink.events).toEqual([]);
  });

  it('#12: DELETE of a study records 110105 Study Deleted, action D', async () => {
    const response = await fetch(`${server.base}/studies/${study}`, { method: 'DELETE' });
    expect(response.status).toBe(204);
    expect(sink.take()).toEqual([
      {
        type: 'study-deleted',
        action: 'D',
        outcome: 0,
        user: anonymous,
        clientAddress: client,
        requestId: response.headers.get('x-request-id'),
        patient: { patientId: 'PID-AUD', studyUids: [study] },
        detail: { instances: 1 },
      },
    ]);
  });
});

describe(`#12: a trail that cannot be written (${testDb})`, () => {
  it('#12: STOW answers 503 audit.unavailable; the instance stays stored and the retry succeeds', async () => {
    const instance = makeInstance({ patientId: 'PID-503' });
    sink.fail();
    const refused = await stow(`${server.base}/studies`, [{ body: instance.bytes }]);
    expect(refused.status).toBe(503);
    expect(refused.contentType).toContain('application/problem+json');
    expect(refused.json).toMatchObject({ code: 'audit.unavailable' });
    expect(refused.headers.get('retry-after')).toBe('5');
    expect(await findInstance(server.database.db, instance.sopInstanceUid)).toBeDefined();
    sink.fail(false);
    const retried = await stow(`${server.base}/studies`, [{ body: instance.bytes }]);
    expect(retried.status).toBe(200);
    expect(sink.take()).toMatchObject([{ outcome: 0, patient: { patientId: 'PID-503' } }]);
  });

  it('#12: QIDO and WADO answer 503 and send no data', async () => {
    const instance = makeInstance({ patientId: 'PID-503B' });
    expect((await stow(`${server.base}/studies`, [{ body: instance.bytes }])).status).toBe(200);
    sink.fail();
    const query = await get(`${server.base}/studies?PatientID=PID-503B`);
    expect(query.status).toBe(503);
    expect(query.body.toString()).not.toContain('PID-503B');
    const metadata = await get(`${server.base}/studies/${instance.studyInstanceUid}/metadata`);
    expect(metadata.status).toBe(503);
    expect(metadata.body.toString()).not.toContain('PID-503B');
  });

  it('#12: a render from a frame kept in memory (rendered while the record is written) answers 503 and sends no image', async () => {
    const instance = makeInstance({ patientId: 'PID-503C', pixelBytes: 32 * 32 * 2 });
    expect((await stow(`${server.base}/studies`, [{ body: instance.bytes }])).status).toBe(200);
    const rendered = `${server.base}/studies/${instance.studyInstanceUid}/series/${instance.seriesInstanceUid}/instances/${instance.sopInstanceUid}/rendered`;
    expect((await get(rendered, { Accept: 'image/png' })).status).toBe(200); // frame now kept
    sink.fail();
    for (const url of [rendered, `${rendered}?window=10,20,linear`]) {
      const refused = await get(url, { Accept: 'image/png' });
      expect(refused.status).toBe(503);
      expect(refused.headers.get('content-type')).not.toBe('image/png');
    }
  });
});

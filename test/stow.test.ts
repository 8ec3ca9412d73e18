import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { findInstance } from '../src/index/current-instance.repository.js';
import { series, studies } from '../src/index/schema.js';
import { makeInstance, makeSameUids, newUid } from './helpers/make-dicom.js';
import { multipartRelated, stow } from './helpers/multipart.js';
import { sample, sampleBytes, samplesAvailable } from './helpers/samples.js';
import {
  blobCount,
  startTestServer,
  storedBytes,
  testDb,
  type TestServer,
} from './helpers/server.js';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close();
});

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const seq = (json: any, tag: string): any[] => json?.[tag]?.Value ?? [];
const uiValue = (item: any, tag: string): string | undefined => item?.[tag]?.Value?.[0];

describe(`STOW-RS (${testDb})`, () => {
  it('stores one instance: 200, ReferencedSOPSequence with RetrieveURL, bytes durable', async () => {
    const instance = makeInstance({ preamble: Buffer.from('MZ executable header, not allowed') });
    const response = await stow(`${server.base}/studies`, [{ body: instance.bytes }]);
    expect(response.status).toBe(200);
    expect(response.contentType).toBe('application/dicom+json');
    const [item] = seq(response.json, '00081199');
    expect(uiValue(item, '00081155')).toBe(instance.sopInstanceUid);
    expect(uiValue(item, '00081150')).toBe(instance.sopClassUid);
    expect(uiValue(item, '00081190')).toBe(
      `${server.base}/studies/${instance.studyInstanceUid}/series/${instance.seriesInstanceUid}/instances/${instance.sopInstanceUid}`,
    );
    expect(response.json['00081190'].Value).toEqual([
      `${server.base}/studies/${instance.studyInstanceUid}`,
    ]);
    expect(response.json['00081198']).toBeUndefined();

    // The preamble is zeroed (CVE-2019-11687); every other byte is what was sent.
    const expected = Buffer.from(instance.bytes);
    expected.fill(0, 0, 128);
    const stored = await storedBytes(server, instance.sopInstanceUid);
    expect(stored?.equals(expected)).toBe(true);
    const row = await findInstance(server.database.db, instance.sopInstanceUid);
    expect(row?.sha256).toBe(sha256(expected));
    expect(row?.size).toBe(expected.length);
  });

  it('stores several parts of one request, in order', async () => {
    const study = newUid();
    const series = newUid();
    const instances = [1, 2, 3].map(() =>
      makeInstance({ studyInstanceUid: study, seriesInstanceUid: series }),
    );
    const response = await stow(
      `${server.base}/studies/${study}`,
      instances.map((i) => ({ body: i.bytes })),
    );
    expect(response.status).toBe(200);
    expect(seq(response.json, '00081199').map((item) => uiValue(item, '00081155'))).toEqual(
      instances.map((i) => i.sopInstanceUid),
    );
  });

  it('refuses a part whose StudyInstanceUID differs from the URL, stores the others, answers 202', async () => {
    const study = newUid();
    const good = makeInstance({ studyInstanceUid: study });
    const other = makeInstance();
    const response = await stow(`${server.base}/studies/${study}`, [
      { body: good.bytes },
      { body: other.bytes },
    ]);
    expect(response.status).toBe(202);
    expect(seq(response.json, '00081199').map((i) => uiValue(i, '00081155'))).toEqual([
      good.sopInstanceUid,
    ]);
    const [failed] = seq(response.json, '00081198');
    expect(uiValue(failed, '00081155')).toBe(other.sopInstanceUid);
    expect(failed['00081197']).toEqual({ vr: 'US', Value: [0xa900] });
    expect(await findInstance(server.database.db, other.sopInstanceUid)).toBeUndefined();
  });

  it('answers 409 when no part could be stored', async () => {
    const other = makeInstance();
    const response = await stow(`${server.base}/studies/${newUid()}`, [{ body: other.bytes }]);
    expect(response.status).toBe(409);
    expect(seq(response.json, '00081198')).toHaveLength(1);
    expect(response.json['00081199']).toBeUndefined();
  });

  it('treats an identical re-send as success with no new row and no new blob', async () => {
    const instance = makeInstance();
    expect((await stow(`${server.base}/studies`, [{ body: instance.bytes }])).status).toBe(200);
    const blobsBefore = await blobCount(server);
    const again = await stow(`${server.base}/studies`, [{ body: instance.bytes }]);
    expect(again.status).toBe(200);
    expect(uiValue(seq(again.json, '00081199')[0], '00081155')).toBe(instance.sopInstanceUid);
    expect(await blobCount(server)).toBe(blobsBefore);
    expect((await findInstance(server.database.db, instance.sopInstanceUid))?.version).toBe(1);
  });

  it('refuses a different object under an existing SOP Instance UID and keeps the original', async () => {
    const original = makeInstance();
    await stow(`${server.base}/studies`, [{ body: original.bytes }]);
    const impostor = makeSameUids(original);
    const blobsBefore = await blobCount(server);
    const response = await stow(`${server.base}/studies`, [{ body: impostor.bytes }]);
    expect(response.status).toBe(409);
    expect(seq(response.json, '00081198')[0]['00081197']).toEqual({ vr: 'US', Value: [0x0111] });
    expect((await storedBytes(server, original.sopInstanceUid))?.equals(original.bytes)).toBe(true);
    expect(await blobCount(server)).toBe(blobsBefore);
  });

  it('within one request, the first of two different objects under one UID is kept', async () => {
    const first = makeInstance();
    const second = makeSameUids(first);
    const response = await stow(`${server.base}/studies`, [
      { body: first.bytes },
      { body: second.bytes },
    ]);
    expect(response.status).toBe(202);
    expect(seq(response.json, '00081198')[0]['00081197']).toEqual({ vr: 'US', Value: [0x0111] });
    expect((await storedBytes(server, first.sopInstanceUid))?.equals(first.bytes)).toBe(true);
  });

  it('refuses an instance whose series is already stored under another study (0xA900)', async () => {
    const first = makeInstance();
    expect((await stow(`${server.base}/studies`, [{ body: first.bytes }])).status).toBe(200);
    const astray = makeInstance({ seriesInstanceUid: first.seriesInstanceUid });
    const response = await stow(`${server.base}/studies`, [{ body: astray.bytes }]);
    expect(response.status).toBe(409);
    expect(seq(response.json, '00081198')[0]['00081197']).toEqual({ vr: 'US', Value: [0xa900] });
    expect(await findInstance(server.database.db, astray.sopInstanceUid)).toBeUndefined();
  });

  it('keeps study and series attributes of the latest instance', async () => {
    const first = makeInstance({ elements: { '00081030': { vr: 'LO', value: 'First look' } } });
    const later = makeInstance({
      studyInstanceUid: first.studyInstanceUid,
      seriesInstanceUid: first.seriesInstanceUid,
      elements: {
        '00081030': { vr: 'LO', value: 'Corrected' },
        '0008103E': { vr: 'LO', value: 'Axial' },
      },
    });
    const same = makeInstance({
      studyInstanceUid: first.studyInstanceUid,
      seriesInstanceUid: first.seriesInstanceUid,
      elements: {
        '00081030': { vr: 'LO', value: 'Corrected' },
        '0008103E': { vr: 'LO', value: 'Axial' },
      },
    });
    for (const instance of [first, later, same]) {
      expect((await stow(`${server.base}/studies`, [{ body: instance.bytes }])).status).toBe(200);
    }
    const [study] = await server.database.db
      .select({ description: studies.studyDescription, attributes: studies.attributes })
      .from(studies)
      .where(eq(studies.studyInstanceUid, first.studyInstanceUid));
    expect(study?.description).toBe('Corrected');
    const [row] = await server.database.db
      .select({ description: series.seriesDescription })
      .from(series)
      .where(eq(series.seriesInstanceUid, first.seriesInstanceUid));
    expect(row?.description).toBe('Axial');
  });

  it('answers problem+json 415 for a media type STOW does not take', async () => {
    const response = await fetch(`${server.base}/studies`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{}',
    });
    expect(response.status).toBe(415);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    const problem = (await response.json()) as { status: number; detail: string; code: string };
    expect(problem.status).toBe(415);
    expect(problem.code).toBe('web.unsupported_media_type');
    expect(problem.detail).toMatch(/multipart\/related/);
  });

  it('builds RetrieveURLs from X-Forwarded-* behind a proxy', async () => {
    const instance = makeInstance();
    const response = await stow(`${server.base}/studies`, [{ body: instance.bytes }], {
      headers: {
        'X-Forwarded-Proto': 'https',
        'X-Forwarded-Host': 'pacs.example.org',
        'X-Forwarded-Prefix': '/imaging',
      },
    });
    expect(uiValue(seq(response.json, '00081199')[0], '00081190')).toMatch(
      /^https:\/\/pacs\.example\.org\/imaging\/dicom-web\/studies\//,
    );
  });

  it('accepts an unquoted type parameter and multipart/form-data uploads', async () => {
    const a = makeInstance();
    const { body, boundary } = multipartRelated([{ body: a.bytes }]);
    const unquoted = await fetch(`${server.base}/studies`, {
      method: 'POST',
      headers: {
        'Content-Type': `multipart/related; type=application/dicom; boundary=${boundary}`,
      },
      body,
    });
    expect(unquoted.status).toBe(200);

    const b = makeInstance();
    const form = new FormData();
    form.append('file', new Blob([b.bytes], { type: 'application/dicom' }), 'b.dcm');
    const uploaded = await fetch(`${server.base}/studies`, { method: 'POST', body: form });
    expect(uploaded.status).toBe(200);
    expect(await findInstance(server.database.db, b.sopInstanceUid)).toBeDefined();
  });

  it.skipIf(!samplesAvailable)('reports the sample file facts in the index', async () => {
    const file = 'ts-explicit-le_CT_small.dcm';
    const response = await stow(`${server.base}/studies`, [{ body: sampleBytes(file) }]);
    expect(response.status).toBe(200);
    const facts = sample(file);
    const row = await findInstance(server.database.db, facts.sop_instance!);
    expect(row?.sopClassUid).toBe(facts.sop_class);
  });

  it('serves a health check', async () => {
    const response = await fetch(`${server.url}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });
});

describe(`STOW-RS of unusual but storable values (${testDb})`, () => {
  it('stores text values with embedded NUL bytes; the bytes stay as sent', async () => {
    const instance = makeInstance({
      elements: {
        '00081030': { vr: 'LO', value: 'AB\u0000CD' },
        '00100010': { vr: 'PN', value: 'Doe\u0000^Jane' },
      },
    });
    const response = await stow(`${server.base}/studies`, [{ body: instance.bytes }]);
    expect(response.status).toBe(200);
    expect((await storedBytes(server, instance.sopInstanceUid))?.equals(instance.bytes)).toBe(true);
  });
});

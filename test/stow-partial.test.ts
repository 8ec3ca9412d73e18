import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeInstance, type GeneratedInstance } from './helpers/make-dicom.js';
import { multipartRelated } from './helpers/multipart.js';
import { blobCount, startTestServer, testDb, type TestServer } from './helpers/server.js';

/**
 * A STOW request that breaks part-way answers what was stored (web/stow-partial.ts): 202 with
 * the stored parts in ReferencedSOPSequence, a FailedSOPSequence item and a Warning header;
 * when nothing was stored, the request's 4xx as before.
 */
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ STOW_MAX_PARTS: '5' });
});
afterAll(async () => {
  await server?.close();
});

const seq = (json: any, tag: string): any[] => json?.[tag]?.Value ?? [];
const sopUids = (json: any, tag: string) => seq(json, tag).map((i) => i['00081155']?.Value?.[0]);

/** POSTs raw multipart bytes (possibly cut short) and parses the answer. */
async function post(body: Buffer, contentType: string) {
  const response = await fetch(`${server.base}/studies`, {
    method: 'POST',
    headers: { 'Content-Type': contentType },
    body,
  });
  const text = await response.text();
  return {
    status: response.status,
    warning: response.headers.get('warning'),
    json: text ? JSON.parse(text) : undefined,
  };
}

/** WADO-RS retrieve of one instance: status and bytes. */
async function retrieve(i: GeneratedInstance) {
  const r = await fetch(
    `${server.base}/studies/${i.studyInstanceUid}/series/${i.seriesInstanceUid}/instances/${i.sopInstanceUid}`,
    { headers: { Accept: 'application/dicom' } },
  );
  return { status: r.status, bytes: Buffer.from(await r.arrayBuffer()) };
}

/** Every part complete (its delimiter seen), then the body ends where `--` should close it. */
function withoutCloseDelimiter(instances: GeneratedInstance[]) {
  const { body, contentType } = multipartRelated(instances.map((i) => ({ body: i.bytes })));
  return { body: body.subarray(0, body.length - '--\r\n'.length), contentType };
}

describe(`STOW-RS stopped part-way (${testDb})`, () => {
  it('a body cut off after 3 complete parts: 202 listing the 3, retrievable, and the failure', async () => {
    const instances = [makeInstance(), makeInstance(), makeInstance()];
    const { body, contentType } = withoutCloseDelimiter(instances);
    const r = await post(body, contentType);
    expect(r.status).toBe(202);
    expect(sopUids(r.json, '00081199')).toEqual(instances.map((i) => i.sopInstanceUid));
    // One item for the rest of the request: never read, so no UIDs; 0xC000 cannot understand.
    expect(seq(r.json, '00081198')).toEqual([
      {
        '00081150': { vr: 'UI' },
        '00081155': { vr: 'UI' },
        '00081197': { vr: 'US', Value: [0xc000] },
      },
    ]);
    expect(r.warning).toMatch(/^299 strata "The request body ended after part 3, before its close/);
    for (const i of instances) {
      const got = await retrieve(i);
      expect(got.status).toBe(200);
      expect(got.bytes.equals(i.bytes)).toBe(true);
    }
  });

  it('a body cut off inside part 4: 202 listing parts 1-3, part 4 failed and not stored', async () => {
    const instances = [makeInstance(), makeInstance(), makeInstance(), makeInstance()];
    const { body, contentType } = multipartRelated(instances.map((i) => ({ body: i.bytes })));
    const cut = body.subarray(0, body.length - instances[3]!.bytes.length / 2);
    const r = await post(cut, contentType);
    expect(r.status).toBe(202);
    expect(sopUids(r.json, '00081199')).toEqual(instances.slice(0, 3).map((i) => i.sopInstanceUid));
    expect(seq(r.json, '00081198')).toHaveLength(1);
    expect(r.warning).toContain('ended while reading part 4');
    expect((await retrieve(instances[3]!)).status).toBe(404);
  });

  it('6 parts with STOW_MAX_PARTS=5: 202 listing the first 5, the rest refused (0xA700)', async () => {
    const instances = Array.from({ length: 6 }, () => makeInstance());
    const { body, contentType } = multipartRelated(instances.map((i) => ({ body: i.bytes })));
    const r = await post(body, contentType);
    expect(r.status).toBe(202);
    expect(sopUids(r.json, '00081199')).toEqual(instances.slice(0, 5).map((i) => i.sopInstanceUid));
    expect(seq(r.json, '00081198').map((i) => i['00081197'].Value[0])).toEqual([0xa700]);
    expect(r.warning).toContain('more than STOW_MAX_PARTS (5) parts');
    expect((await retrieve(instances[5]!)).status).toBe(404);
  });

  it('nothing stored: the request error as before (400 truncated, 413 too many parts)', async () => {
    const before = await blobCount(server);
    const one = makeInstance();
    const { body, contentType } = multipartRelated([{ body: one.bytes }]);
    const cut = await post(body.subarray(0, body.length / 2), contentType);
    expect(cut.status).toBe(400);
    expect(cut.json.code).toBe('multipart.truncated');
    expect(cut.warning).toBeNull();

    // Six parts none of which is DICOM: nothing stored, so 413 as before.
    const junk = multipartRelated(
      Array.from({ length: 6 }, () => ({ body: Buffer.from('not dicom') })),
    );
    const many = await post(junk.body, junk.contentType);
    expect(many.status).toBe(413);
    expect(many.json.code).toBe('multipart.too_many_parts');
    expect(await blobCount(server)).toBe(before);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findInstance } from '../src/index/current-instance.repository.js';
import { makeInstance } from './helpers/make-dicom.js';
import { multipartRelated, stow } from './helpers/multipart.js';
import { sampleBytes, samplesAvailable } from './helpers/samples.js';
import { readBlob, startTestServer, testDb, type TestServer } from './helpers/server.js';

/**
 * Bad input gets a precise 4xx and loses nothing: after each case, the instance stored first is
 * still there with the same bytes, and the server still answers.
 */
let server: TestServer;
const keeper = makeInstance();

beforeAll(async () => {
  server = await startTestServer({ STOW_MAX_INSTANCE_BYTES: String(256 * 1024) });
  const stored = await stow(`${server.base}/studies`, [{ body: keeper.bytes }]);
  expect(stored.status).toBe(200);
});
afterAll(async () => {
  await server?.close();
});

async function expectKeeperIntact(): Promise<void> {
  const row = await findInstance(server.database.db, keeper.sopInstanceUid);
  expect(row?.version).toBe(1);
  expect((await readBlob(server, row!.blobKey)).equals(keeper.bytes)).toBe(true);
  expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
}

async function post(body: string | Uint8Array | undefined, contentType?: string) {
  const response = await fetch(`${server.base}/studies`, {
    method: 'POST',
    headers: contentType ? { 'Content-Type': contentType } : {},
    body,
  });
  const text = await response.text();
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    json: text ? JSON.parse(text) : undefined,
  };
}

const failureReasons = (json: any): number[] =>
  (json['00081198']?.Value ?? []).map((item: any) => item['00081197'].Value[0]);

describe(`STOW-RS bad input (${testDb})`, () => {
  it('a truncated file: 409 with 0xC000 (cannot understand)', async () => {
    const sent = makeInstance({ sopInstanceUid: keeper.sopInstanceUid });
    const response = await stow(`${server.base}/studies`, [
      { body: sent.bytes.subarray(0, sent.bytes.length - 40) },
    ]);
    expect(response.status).toBe(409);
    expect(failureReasons(response.json)).toEqual([0xc000]);
    await expectKeeperIntact();
  });

  it.skipIf(!samplesAvailable)(
    'the truncated sample sharing a stored UID does not clobber the good copy',
    async () => {
      const good = await stow(`${server.base}/studies`, [
        { body: sampleBytes('ts-implicit-le_MR_small.dcm') },
      ]);
      expect(good.status).toBe(200);
      const bad = await stow(`${server.base}/studies`, [
        { body: sampleBytes('bad-truncated_MR_small.dcm') },
      ]);
      expect(bad.status).toBe(409);
      expect(failureReasons(bad.json)).toEqual([0xc000]);
      await expectKeeperIntact();
    },
  );

  it.skipIf(!samplesAvailable)(
    'an unknown transfer syntax over an implicit VR dataset: 409 with 0xC122',
    async () => {
      const bytes = Buffer.from(sampleBytes('ts-implicit-le_MR_small.dcm'));
      const ts = Buffer.from('1.2.840.10008.1.2\0', 'latin1');
      const at = bytes.indexOf(ts, 132);
      expect(at).toBeGreaterThan(0);
      bytes.write('1.2.840.10008.9.9', at, 'latin1'); // same length, a syntax nobody defined
      const response = await stow(`${server.base}/studies`, [{ body: bytes }]);
      expect(response.status).toBe(409);
      expect(failureReasons(response.json)).toEqual([0xc122]);
      await expectKeeperIntact();
    },
  );

  it('a non-DICOM part: 409 with 0xC000 and no UIDs', async () => {
    const response = await stow(`${server.base}/studies`, [
      { body: Buffer.from('this is not DICOM at all, just text '.repeat(10)) },
    ]);
    expect(response.status).toBe(409);
    expect(failureReasons(response.json)).toEqual([0xc000]);
    await expectKeeperIntact();
  });

  it('a bad part among good ones fails alone, wherever it stands (202)', async () => {
    const [first, last] = [makeInstance(), makeInstance()];
    const junk = Buffer.alloc(300 * 1024, 0x41); // rejected after its first bytes, skipped whole
    const truncated = makeInstance();
    const response = await stow(`${server.base}/studies`, [
      { body: first.bytes },
      { body: junk },
      { body: truncated.bytes.subarray(0, truncated.bytes.length - 10) },
      { body: last.bytes },
    ]);
    expect(response.status).toBe(202);
    expect(failureReasons(response.json)).toEqual([0xc000, 0xc000]);
    const stored = response.json['00081199'].Value.map((item: any) => item['00081155'].Value[0]);
    expect(stored).toEqual([first.sopInstanceUid, last.sopInstanceUid]);
    await expectKeeperIntact();
  });

  it('a part with the wrong media type: that part fails, the others are stored (202)', async () => {
    const good = makeInstance();
    const response = await stow(`${server.base}/studies`, [
      { body: Buffer.from('{"not":"dicom"}'), contentType: 'application/json' },
      { body: good.bytes },
    ]);
    expect(response.status).toBe(202);
    expect(failureReasons(response.json)).toEqual([0xc000]);
    expect(await findInstance(server.database.db, good.sopInstanceUid)).toBeDefined();
    await expectKeeperIntact();
  });

  it('multipart/related without a boundary: 400 problem+json', async () => {
    const response = await post(keeper.bytes, 'multipart/related; type="application/dicom"');
    expect(response.status).toBe(400);
    expect(response.contentType).toBe('application/problem+json');
    expect(response.json.detail).toMatch(/boundary/);
    await expectKeeperIntact();
  });

  it('no Content-Type at all: 415', async () => {
    const response = await post(keeper.bytes);
    expect(response.status).toBe(415);
    expect(response.contentType).toBe('application/problem+json');
  });

  it('a body that ends mid-part: 400, nothing of the part stored', async () => {
    const instance = makeInstance();
    const { body, contentType } = multipartRelated([{ body: instance.bytes }]);
    const cut = body.subarray(0, body.length - 200);
    const response = await post(cut, contentType);
    expect(response.status).toBe(400);
    expect(response.contentType).toBe('application/problem+json');
    expect(await findInstance(server.database.db, instance.sopInstanceUid)).toBeUndefined();
    await expectKeeperIntact();
  });

  it('an empty body: 400', async () => {
    const response = await post(
      '',
      'multipart/related; type="application/dicom"; boundary=nothing-here',
    );
    expect(response.status).toBe(400);
    expect(response.contentType).toBe('application/problem+json');
    await expectKeeperIntact();
  });

  it('a UID with ../ in the dataset: refused with 0xC000, nothing written outside storage', async () => {
    const hostile = makeInstance({ sopInstanceUid: '../../../../etc/passwd' });
    const response = await stow(`${server.base}/studies`, [{ body: hostile.bytes }]);
    expect(response.status).toBe(409);
    expect(failureReasons(response.json)).toEqual([0xc000]);
    await expectKeeperIntact();
  });

  it('a UID with ../ in the URL: 400', async () => {
    const response = await fetch(`${server.base}/studies/..%2F..%2Fetc`, {
      method: 'POST',
      headers: { 'Content-Type': multipartRelated([]).contentType },
      body: multipartRelated([{ body: keeper.bytes }]).body,
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { code: string }).code).toBe('service.invalid_uid');
    await expectKeeperIntact();
  });

  it('a part over the configured size limit: 409 with 0xA700 (out of resources)', async () => {
    const big = makeInstance({ pixelBytes: 512 * 1024 });
    const response = await stow(`${server.base}/studies`, [{ body: big.bytes }]);
    expect(response.status).toBe(409);
    expect(failureReasons(response.json)).toEqual([0xa700]);
    expect(await findInstance(server.database.db, big.sopInstanceUid)).toBeUndefined();
    await expectKeeperIntact();
  });

  it('multipart/related of type application/dicom+json: 415 (only Part 10 parts are taken)', async () => {
    const response = await post(
      '--b\r\n\r\n{}\r\n--b--',
      'multipart/related; type="application/dicom+json"; boundary=b',
    );
    expect(response.status).toBe(415);
  });

  it('garbage in the Content-Type header: 400', async () => {
    const response = await post(keeper.bytes, 'multipart/related; boundary="unterminated');
    expect(response.status).toBe(400);
    expect(response.json.code).toBe('web.bad_media_type');
    expect(response.contentType).toBe('application/problem+json');
  });
});

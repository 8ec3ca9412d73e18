import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeInstance, newUid, type GeneratedInstance } from '../test/helpers/make-dicom.js';
import { stow } from '../test/helpers/multipart.js';
import { get, splitMultipart } from '../test/helpers/wado-multipart.js';
import { conformanceTarget } from './target.js';

/** PS3.18 §10.4 Retrieve Transaction (WADO-RS), black-box: fixtures stored through STOW-RS. */
let target: { base: string; close(): Promise<void> };
let instance: GeneratedInstance;
const ELE = '1.2.840.10008.1.2.1';
const PIXELS = 64 * 64 * 2;

beforeAll(async () => {
  target = await conformanceTarget();
  const study = newUid();
  instance = makeInstance({ studyInstanceUid: study, pixelBytes: PIXELS });
  const response = await stow(`${target.base}/studies`, [{ body: instance.bytes }]);
  expect(response.status).toBe(200);
});
afterAll(async () => {
  await target?.close();
});

const instanceUrl = (): string =>
  `${target.base}/studies/${instance.studyInstanceUid}/series/${instance.seriesInstanceUid}/instances/${instance.sopInstanceUid}`;

describe('PS3.18 10.4 Retrieve Transaction', () => {
  it('10.4.1.1.1: an instance comes back as multipart/related application/dicom, dataset unchanged', async () => {
    const r = await get(instanceUrl(), {
      Accept: 'multipart/related; type="application/dicom"; transfer-syntax=*',
    });
    expect(r.status).toBe(200);
    expect(r.contentType).toMatch(/^multipart\/related/);
    const parts = splitMultipart(r.body, r.contentType);
    expect(parts).toHaveLength(1);
    expect(parts[0]!.headers['content-type']).toMatch(/^application\/dicom/);
    // The preamble may be rewritten (CVE-2019-11687); the dataset may not.
    const tail = instance.bytes.subarray(instance.bytes.length - PIXELS);
    expect(parts[0]!.body.subarray(parts[0]!.body.length - PIXELS).equals(tail)).toBe(true);
  });

  it('10.4.1.1.1: study and series retrieve hold the stored instance', async () => {
    for (const url of [
      `${target.base}/studies/${instance.studyInstanceUid}`,
      `${target.base}/studies/${instance.studyInstanceUid}/series/${instance.seriesInstanceUid}`,
    ]) {
      const r = await get(url, { Accept: 'multipart/related; type="application/dicom"' });
      expect(r.status).toBe(200);
      expect(splitMultipart(r.body, r.contentType)).toHaveLength(1);
    }
  });

  it('10.4.1.1.2: metadata is application/dicom+json and its BulkDataURIs resolve', async () => {
    const r = await get(`${instanceUrl()}/metadata`, { Accept: 'application/dicom+json' });
    expect(r.status).toBe(200);
    expect(r.contentType?.split(';')[0]).toBe('application/dicom+json');
    const [ds] = JSON.parse(r.body.toString()) as Record<
      string,
      { vr: string; Value?: unknown[]; BulkDataURI?: string }
    >[];
    expect(ds!['00080018']?.Value?.[0]).toBe(instance.sopInstanceUid);
    expect(Object.keys(ds!).some((tag) => tag.startsWith('0002'))).toBe(false);
    const uri = ds!['7FE00010']?.BulkDataURI;
    expect(uri).toMatch(/^https?:\/\//);
    const bulk = await get(uri!, { Accept: 'multipart/related; type="application/octet-stream"' });
    expect(bulk.status).toBe(200);
    expect(splitMultipart(bulk.body, bulk.contentType)[0]!.body.length).toBe(PIXELS);
  });

  it('10.4.1.1.4: frames with the Accept OHIF sends (unquoted type, transfer-syntax=*)', async () => {
    const r = await get(`${instanceUrl()}/frames/1`, {
      Accept: 'multipart/related; type=application/octet-stream; transfer-syntax=*',
    });
    expect(r.status).toBe(200);
    const [part] = splitMultipart(r.body, r.contentType);
    expect(part!.body.length).toBe(PIXELS);
  });

  it('10.4.1.1.4: frame 0 is a bad request; a frame beyond NumberOfFrames is not found', async () => {
    const accept = { Accept: 'multipart/related; type="application/octet-stream"' };
    expect((await get(`${instanceUrl()}/frames/0`, accept)).status).toBe(400);
    expect((await get(`${instanceUrl()}/frames/2`, accept)).status).toBe(404);
  });

  it('10.4.1.1.2: study and series metadata hold the stored instance', async () => {
    for (const url of [
      `${target.base}/studies/${instance.studyInstanceUid}/metadata`,
      `${target.base}/studies/${instance.studyInstanceUid}/series/${instance.seriesInstanceUid}/metadata`,
    ]) {
      const r = await get(url, { Accept: 'application/dicom+json' });
      expect(r.status).toBe(200);
      const datasets = JSON.parse(r.body.toString()) as Record<string, { Value?: unknown[] }>[];
      expect(datasets.map((ds) => ds['00080018']?.Value?.[0])).toContain(instance.sopInstanceUid);
    }
  });

  it('10.4.1.1.4: a frame list comes back one part per frame, in the order asked', async () => {
    // Two 8×8 16-bit frames: frame 1 all 0x0101, frame 2 all 0x0202.
    const frames = Buffer.concat([Buffer.alloc(128, 1), Buffer.alloc(128, 2)]);
    const u16 = (n: number) => Buffer.from([n & 0xff, n >> 8]);
    const multi = makeInstance({
      studyInstanceUid: instance.studyInstanceUid,
      elements: {
        '00280008': { vr: 'IS', value: '2' },
        '00280010': { vr: 'US', value: u16(8) },
        '00280011': { vr: 'US', value: u16(8) },
        '7FE00010': { vr: 'OW', value: frames },
      },
    });
    expect((await stow(`${target.base}/studies`, [{ body: multi.bytes }])).status).toBe(200);
    const url = `${target.base}/studies/${multi.studyInstanceUid}/series/${multi.seriesInstanceUid}/instances/${multi.sopInstanceUid}/frames/2,1`;
    const r = await get(url, {
      Accept: 'multipart/related; type="application/octet-stream"; transfer-syntax=*',
    });
    expect(r.status).toBe(200);
    const parts = splitMultipart(r.body, r.contentType);
    expect(parts.map((p) => p.body.toString('hex'))).toEqual([
      frames.subarray(128).toString('hex'),
      frames.subarray(0, 128).toString('hex'),
    ]);
  });

  it('8.7.3.5: no transfer-syntax parameter gives Explicit VR Little Endian', async () => {
    const r = await get(instanceUrl(), { Accept: 'multipart/related; type="application/dicom"' });
    const [part] = splitMultipart(r.body, r.contentType);
    const ts = /transfer-syntax=([0-9.]+)/.exec(part!.headers['content-type'] ?? '')?.[1];
    expect(ts === undefined || ts === ELE).toBe(true);
    expect(part!.body.includes(Buffer.from(ELE))).toBe(true);
  });

  it('10.4 / 8.7.3: unknown study 404; unsupported media type 406', async () => {
    expect((await get(`${target.base}/studies/${newUid()}`)).status).toBe(404);
    expect((await get(instanceUrl(), { Accept: 'application/pdf' })).status).toBe(406);
  });
});

/**
 * Instances whose pixel data is shorter than their image geometry declares (Rows x Columns x
 * SamplesPerPixel x BitsAllocated x NumberOfFrames, or fewer fragments than frames) are stored
 * as sent and retrieved whole, but a frame they do not hold — asked as a frame, rendered or as
 * pixel bulk data — is a 404 problem (`service.frame_not_stored`) before the first byte, never
 * a 500 or a 200 cut short. Frames they do hold are still served.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uint16s } from '../src/dicom/testing/build-part10.js';
import { TransferSyntax } from '../src/dicom/uid.js';
import { makeInstance } from './helpers/make-dicom.js';
import { encapsulatedInstance } from './helpers/pixel-instances.js';
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

const OCTETS_ANY = 'multipart/related; type="application/octet-stream"; transfer-syntax=*';

/** 5x5 16-bit frames (50 bytes each): `frames` declared, 50 bytes of pixel data stored. */
function nativeShort(frames: number, rows = 5) {
  return makeInstance({
    pixelBytes: 64,
    elements: {
      '00280008': { vr: 'IS', value: String(frames) },
      '00280010': { vr: 'US', value: new Uint8Array(uint16s(rows)) },
    },
  });
}

/** JPEG Baseline 8x8, 3 frames declared, 2 fragments (each opening with SOI) stored, no table. */
function encapsulatedShort() {
  const fragment = new Uint8Array([0xff, 0xd8, 1, 2, 3, 4, 0xff, 0xd9]);
  return encapsulatedInstance(TransferSyntax.JPEGBaseline8Bit, 8, 8, [fragment, fragment], {
    numberOfFrames: 3,
  });
}

async function expectNotStored(url: string, accept?: string): Promise<void> {
  const response = await get(url, accept ? { Accept: accept } : {});
  expect(response.status, url).toBe(404);
  expect(response.contentType).toContain('application/problem+json');
  expect(JSON.parse(response.body.toString()).code).toBe('service.frame_not_stored');
}

describe('pixel data shorter than the declared geometry', () => {
  const single = nativeShort(1, 8); // 8x5 declared: 80 bytes, 50 stored
  const multi = nativeShort(3); // 3 frames declared, 1 stored
  const encapsulated = encapsulatedShort();
  const urlOf = (i: {
    studyInstanceUid: string;
    seriesInstanceUid: string;
    sopInstanceUid: string;
  }) =>
    `${server.base}/studies/${i.studyInstanceUid}/series/${i.seriesInstanceUid}/instances/${i.sopInstanceUid}`;
  const encapsulatedUrl = () => encapsulated.url(server.base);

  it('is stored as sent and retrieved whole, byte for byte', async () => {
    const response = await stow(`${server.base}/studies`, [
      { body: single.bytes },
      { body: multi.bytes },
      { body: encapsulated.bytes },
    ]);
    expect(response.status).toBe(200);
    for (const [url, bytes] of [
      [urlOf(single), single.bytes],
      [urlOf(multi), multi.bytes],
      [encapsulatedUrl(), encapsulated.bytes],
    ] as const) {
      const whole = await get(url, { Accept: 'application/dicom; transfer-syntax=*' });
      expect(whole.status).toBe(200);
      expect(whole.body.equals(bytes)).toBe(true);
    }
  });

  it('answers frames it does not hold with a 404 problem, in any frame list', async () => {
    await expectNotStored(`${urlOf(single)}/frames/1`);
    await expectNotStored(`${urlOf(multi)}/frames/2`);
    await expectNotStored(`${urlOf(multi)}/frames/1,3`);
    await expectNotStored(`${encapsulatedUrl()}/frames/3`, OCTETS_ANY);
    await expectNotStored(`${encapsulatedUrl()}/frames/1,2,3`, OCTETS_ANY);
  });

  it('still serves the frames it holds', async () => {
    const native = await get(`${urlOf(multi)}/frames/1`);
    expect(native.status).toBe(200);
    const both = await get(`${encapsulatedUrl()}/frames/1,2`, { Accept: OCTETS_ANY });
    expect(both.status).toBe(200);
  });

  it('answers rendered frames it does not hold with a 404 problem', async () => {
    await expectNotStored(`${urlOf(single)}/rendered`, 'image/png');
    await expectNotStored(`${urlOf(multi)}/frames/2/rendered`, 'image/png');
  });

  it('answers its pixel data as bulk data with a 404 problem', async () => {
    await expectNotStored(`${urlOf(single)}/bulkdata/7FE00010`);
    await expectNotStored(`${urlOf(multi)}/bulkdata/7FE00010`, 'application/octet-stream');
    await expectNotStored(`${encapsulatedUrl()}/bulkdata/7FE00010`, OCTETS_ANY);
  });
});

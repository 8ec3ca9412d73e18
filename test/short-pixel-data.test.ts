/**
 * Instances whose pixel data is shorter than their image geometry declares (Rows x Columns x
 * SamplesPerPixel x BitsAllocated x NumberOfFrames, or fewer fragments than frames) are stored
 * as sent and retrieved whole, but a frame they do not hold — asked as a frame, rendered or as
 * pixel bulk data — is a 404 problem (`service.frame_not_stored`) before the first byte, never
 * a 500 or a 200 cut short. Frames they do hold are still served.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  concat,
  explicitElement,
  itemHeader,
  text,
  uint16s,
  UNDEFINED_LENGTH,
} from '../src/dicom/testing/build-part10.js';
import { TransferSyntax } from '../src/dicom/uid.js';
import { makeInstance, newUid } from './helpers/make-dicom.js';
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

/** JPEG Baseline, 3 frames declared, 2 fragments (each opening with SOI) stored, no table. */
function encapsulatedShort() {
  const [study, series, sop] = [newUid(), newUid(), newUid()];
  const sopClass = '1.2.840.10008.5.1.4.1.1.7';
  const meta = concat([
    explicitElement('00020001', 'OB', new Uint8Array([0, 1])),
    explicitElement('00020002', 'UI', text(sopClass, '\0')),
    explicitElement('00020003', 'UI', text(sop, '\0')),
    explicitElement('00020010', 'UI', text(TransferSyntax.JPEGBaseline8Bit, '\0')),
  ]);
  const groupLength = new Uint8Array(4);
  new DataView(groupLength.buffer).setUint32(0, meta.length, true);
  const preamble = new Uint8Array(132);
  preamble.set(Buffer.from('DICM'), 128);
  const fragment = new Uint8Array([0xff, 0xd8, 1, 2, 3, 4, 0xff, 0xd9]);
  const bytes = concat([
    preamble,
    explicitElement('00020000', 'UL', groupLength),
    meta,
    explicitElement('00080016', 'UI', text(sopClass, '\0')),
    explicitElement('00080018', 'UI', text(sop, '\0')),
    explicitElement('0020000D', 'UI', text(study, '\0')),
    explicitElement('0020000E', 'UI', text(series, '\0')),
    explicitElement('00280002', 'US', uint16s(1)),
    explicitElement('00280004', 'CS', text('MONOCHROME2')),
    explicitElement('00280008', 'IS', text('3')),
    explicitElement('00280010', 'US', uint16s(8)),
    explicitElement('00280011', 'US', uint16s(8)),
    explicitElement('00280100', 'US', uint16s(8)),
    explicitElement('00280101', 'US', uint16s(8)),
    explicitElement('00280102', 'US', uint16s(7)),
    explicitElement('00280103', 'US', uint16s(0)),
    explicitElement('7FE00010', 'OB', new Uint8Array(0), UNDEFINED_LENGTH),
    itemHeader('FFFEE000', 0),
    itemHeader('FFFEE000', fragment.length),
    fragment,
    itemHeader('FFFEE000', fragment.length),
    fragment,
    itemHeader('FFFEE0DD'),
  ]);
  return { bytes: Buffer.from(bytes), study, series, sop };
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
  const encapsulatedUrl = () =>
    `${server.base}/studies/${encapsulated.study}/series/${encapsulated.series}/instances/${encapsulated.sop}`;

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

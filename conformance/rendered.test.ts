import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeInstance, newUid } from '../test/helpers/make-dicom.js';
import { stow } from '../test/helpers/multipart.js';
import { conformanceTarget } from './target.js';

/**
 * PS3.18 §10.4.1.1.3 Retrieve Rendered and §10.4.1.1.5 Retrieve Thumbnail, black-box. The
 * fixture is a generated 32×32 16-bit MONOCHROME2 instance with a fresh study, stored by STOW.
 * Where PS3.18 leaves room (thumbnail size, the representative image of a study) only what
 * any conformant server must do is asserted.
 */
let target: { base: string; close(): Promise<void> };
const studyInstanceUid = newUid();
const seriesInstanceUid = newUid();
const instance = makeInstance({ studyInstanceUid, seriesInstanceUid, pixelBytes: 32 * 32 * 2 });
const instanceUrl = () =>
  `${target.base}/studies/${studyInstanceUid}/series/${seriesInstanceUid}/instances/${instance.sopInstanceUid}`;

beforeAll(async () => {
  target = await conformanceTarget();
  const response = await stow(`${target.base}/studies`, [{ body: instance.bytes }]);
  expect(response.status).toBe(200);
});
afterAll(async () => {
  await target?.close();
});

async function get(url: string, accept?: string) {
  const response = await fetch(url, accept ? { headers: { Accept: accept } } : {});
  return { response, body: Buffer.from(await response.arrayBuffer()) };
}

describe('PS3.18 10.4 Retrieve Rendered / Thumbnail', () => {
  it('instance rendered defaults to image/jpeg of the stored size', async () => {
    const { response, body } = await get(`${instanceUrl()}/rendered`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^image\/jpeg/);
    expect(await sharp(body).metadata()).toMatchObject({ format: 'jpeg', width: 32, height: 32 });
  });

  it('honours Accept: image/png and the frame-level rendered resource', async () => {
    const png = await get(`${instanceUrl()}/rendered`, 'image/png');
    expect(png.response.status).toBe(200);
    expect((await sharp(png.body).metadata()).format).toBe('png');
    const frame = await get(`${instanceUrl()}/frames/1/rendered`, 'image/jpeg');
    expect(frame.response.status).toBe(200);
    expect((await sharp(frame.body).metadata()).format).toBe('jpeg');
  });

  it('viewport scales the image to fit (PS3.18 8.3.5.1.3)', async () => {
    const { response, body } = await get(`${instanceUrl()}/rendered?viewport=16,16`, 'image/png');
    expect(response.status).toBe(200);
    expect(await sharp(body).metadata()).toMatchObject({ width: 16, height: 16 });
  });

  it('window (PS3.18 8.3.5.1.4) sets the gray levels: all black above the data, all white below', async () => {
    for (const [window, level] of [
      ['1000000,1,linear', 0],
      ['-1000000,1,linear', 255],
    ] as const) {
      const { response, body } = await get(
        `${instanceUrl()}/rendered?window=${window}`,
        'image/png',
      );
      expect(response.status).toBe(200);
      const { data, info } = await sharp(body).raw().toBuffer({ resolveWithObject: true });
      expect(info.width * info.height).toBe(32 * 32);
      expect(new Set(data.filter((_, i) => i % info.channels === 0))).toEqual(new Set([level]));
    }
  });

  it('study, series and instance rendered and thumbnail answer images', async () => {
    for (const url of [
      `${target.base}/studies/${studyInstanceUid}/rendered`,
      `${target.base}/studies/${studyInstanceUid}/series/${seriesInstanceUid}/rendered`,
      `${target.base}/studies/${studyInstanceUid}/thumbnail`,
      `${target.base}/studies/${studyInstanceUid}/series/${seriesInstanceUid}/thumbnail`,
      `${instanceUrl()}/thumbnail`,
    ]) {
      const { response, body } = await get(url, 'image/jpeg');
      expect([url.slice(target.base.length), response.status]).toEqual([
        url.slice(target.base.length),
        200,
      ]);
      expect((await sharp(body).metadata()).format).toBe('jpeg');
    }
  });

  it('answers 4xx for an unknown instance, a bad window and an unacceptable media type', async () => {
    const unknown = await get(
      `${target.base}/studies/${studyInstanceUid}/series/${seriesInstanceUid}/instances/${newUid()}/rendered`,
    );
    expect(unknown.response.status).toBe(404);
    const badWindow = await get(`${instanceUrl()}/rendered?window=40,abc,linear`);
    expect(badWindow.response.status).toBe(400);
    const dicom = await get(`${instanceUrl()}/rendered`, 'application/dicom');
    expect(dicom.response.status).toBe(406);
  });
});

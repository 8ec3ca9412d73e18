import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeInstance, newUid } from '../test/helpers/make-dicom.js';
import { stow } from '../test/helpers/multipart.js';
import { conformanceTarget } from './target.js';

/** PS3.18 §10.5 Store Transaction, black-box. */
let target: { base: string; close(): Promise<void> };
beforeAll(async () => {
  target = await conformanceTarget();
});
afterAll(async () => {
  await target?.close();
});

const value = (ds: any, tag: string): unknown => ds?.[tag]?.Value?.[0];

describe('PS3.18 10.5 Store Transaction', () => {
  it('10.5.3: 200 and a Store Instances Response Module (I.1) for a stored instance', async () => {
    const instance = makeInstance();
    const response = await stow(`${target.base}/studies`, [{ body: instance.bytes }]);
    expect(response.status).toBe(200);
    expect(response.contentType?.split(';')[0]).toBe('application/dicom+json');
    const referenced = response.json['00081199'];
    expect(referenced.vr).toBe('SQ');
    const item = referenced.Value[0];
    expect(value(item, '00081150')).toBe(instance.sopClassUid);
    expect(value(item, '00081155')).toBe(instance.sopInstanceUid);
    const retrieveUrl = value(item, '00081190') as string;
    expect(retrieveUrl).toMatch(/^https?:\/\//);
    expect(retrieveUrl).toContain(`/studies/${instance.studyInstanceUid}/series/`);
  });

  it('10.5.3: Study Instance UID different from the URL fails with 0xA900 family, 409', async () => {
    const instance = makeInstance();
    const response = await stow(`${target.base}/studies/${newUid()}`, [{ body: instance.bytes }]);
    expect(response.status).toBe(409);
    const failed = response.json['00081198'].Value[0];
    expect(value(failed, '00081155')).toBe(instance.sopInstanceUid);
    const reason = value(failed, '00081197') as number;
    expect(reason >= 0xa900 && reason <= 0xa9ff).toBe(true);
  });

  it('10.5.3: some stored and some failed gives 202 with both sequences', async () => {
    const study = newUid();
    const good = makeInstance({ studyInstanceUid: study });
    const bad = makeInstance();
    const response = await stow(`${target.base}/studies/${study}`, [
      { body: good.bytes },
      { body: bad.bytes },
    ]);
    expect(response.status).toBe(202);
    expect(response.json['00081199'].Value).toHaveLength(1);
    expect(response.json['00081198'].Value).toHaveLength(1);
  });

  it('10.5.3: an unsupported Content-Type gives 415', async () => {
    const response = await fetch(`${target.base}/studies`, {
      method: 'POST',
      headers: { 'Content-Type': 'text/plain' },
      body: 'hello',
    });
    expect(response.status).toBe(415);
  });
});

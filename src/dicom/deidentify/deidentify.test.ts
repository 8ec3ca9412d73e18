import dcmjs from 'dcmjs';
import { describe, expect, it } from 'vitest';
import { makeInstance, newUid } from '../../../test/helpers/make-dicom.js';
import { deidentifyPart10 } from './deidentify.js';
import { UidMap } from './uid-map.js';

/** Absent or empty (dcmjs reads an empty value back as ['']). */
const blank = (value: any[] | undefined) => (value ?? []).every((v) => v === '' || v === null);

type Dataset = Record<string, { vr: string; Value?: any[] }>;
const read = (bytes: Uint8Array): { meta: Dataset; dict: Dataset } =>
  (dcmjs.data.DicomMessage as any).readFile(
    bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
  );

/** Explicit VR LE element with a 16-bit or (long VRs) 32-bit length. */
function el(tag: string, vr: string, body: Buffer): Buffer {
  const long = ['SQ', 'OB', 'OW', 'UN', 'UT'].includes(vr);
  const head = Buffer.alloc(long ? 12 : 8);
  head.writeUInt16LE(parseInt(tag.slice(0, 4), 16), 0);
  head.writeUInt16LE(parseInt(tag.slice(4), 16), 2);
  head.write(vr, 4, 'latin1');
  if (long) head.writeUInt32LE(body.length, 8);
  else head.writeUInt16LE(body.length, 6);
  return Buffer.concat([head, body]);
}
const ui = (uid: string) => Buffer.from(uid.length % 2 ? uid + '\0' : uid, 'latin1');

function referencing(refUid: string) {
  const item = Buffer.concat([
    el('00081150', 'UI', ui('1.2.840.10008.5.1.4.1.1.2')),
    el('00081155', 'UI', ui(refUid)),
  ]);
  const itemHeader = Buffer.alloc(8);
  itemHeader.writeUInt16LE(0xfffe, 0);
  itemHeader.writeUInt16LE(0xe000, 2);
  itemHeader.writeUInt32LE(item.length, 4);
  return Buffer.concat([itemHeader, item]);
}

function subject() {
  const frameOfReference = newUid();
  const referenced = newUid();
  const instance = makeInstance({
    patientName: 'Doe^Jane',
    patientId: 'MRN-4711',
    elements: {
      '00080080': { vr: 'LO', value: 'General Hospital' },
      '00081030': { vr: 'LO', value: 'Head CT for Jane' },
      '00100030': { vr: 'DA', value: '19700315' },
      '00080030': { vr: 'TM', value: '101500' },
      '00080023': { vr: 'DA', value: '20240103' },
      '00200052': { vr: 'UI', value: frameOfReference },
      '00080090': { vr: 'PN', value: 'Who^Doctor' },
      '00091010': { vr: 'LO', value: 'private note' },
      '00081140': { vr: 'SQ', value: referencing(referenced) },
    },
  });
  return { instance, frameOfReference, referenced };
}

describe('PS3.15 Basic Application Level Confidentiality Profile', () => {
  it('#14: removes and replaces the profile attributes, maps UIDs consistently, marks the instance', () => {
    const { instance, frameOfReference, referenced } = subject();
    const uids = new UidMap();
    const out = deidentifyPart10(instance.bytes, { uids, dates: 'remove' });
    const text = out.toString('latin1');
    for (const original of [
      'Doe^Jane',
      'MRN-4711',
      'General Hospital',
      'Head CT',
      '19700315',
      'Who^Doctor',
      'private note',
      instance.studyInstanceUid,
      instance.seriesInstanceUid,
      instance.sopInstanceUid,
      frameOfReference,
      referenced,
    ]) {
      expect(text, original).not.toContain(original);
    }
    const { meta, dict } = read(out);
    expect(dict['0020000D']!.Value).toEqual([uids.map(instance.studyInstanceUid)]);
    expect(dict['0020000E']!.Value).toEqual([uids.map(instance.seriesInstanceUid)]);
    expect(dict['00080018']!.Value).toEqual([uids.map(instance.sopInstanceUid)]);
    expect(meta['00020003']!.Value).toEqual([uids.map(instance.sopInstanceUid)]);
    expect(dict['00200052']!.Value).toEqual([uids.map(frameOfReference)]);
    // A reference inside a sequence gets the same replacement its target gets.
    expect(dict['00081140']!.Value![0]['00081155'].Value).toEqual([uids.map(referenced)]);
    expect(dict['00081140']!.Value![0]['00081150'].Value).toEqual(['1.2.840.10008.5.1.4.1.1.2']);
    // Z: present and empty; X: gone; private: gone; unlisted: kept.
    expect(blank(dict['00100010']?.Value)).toBe(true);
    expect(blank(dict['00100020']?.Value)).toBe(true);
    expect(dict['00081030']).toBeUndefined();
    expect(dict['00091010']).toBeUndefined();
    expect(blank(dict['00080020']?.Value)).toBe(true);
    expect(dict['00080060']!.Value).toEqual(['CT']);
    expect(dict['00080016']!.Value).toEqual([instance.sopClassUid]);
    expect(dict['00120062']!.Value).toEqual(['YES']);
    expect(dict['00120064']!.Value!.map((i: Dataset) => i['00080100']!.Value![0])).toEqual([
      '113100',
    ]);
    // Pixel data unchanged.
    const pixels = new Uint8Array(dict['7FE00010']!.Value![0]);
    expect(instance.bytes.includes(Buffer.from(pixels))).toBe(true);
  });

  it('#14: the same UID maps to the same new UID within one map, to another under another salt', () => {
    const a = new UidMap();
    const b = new UidMap();
    const uid = newUid();
    expect(a.map(uid)).toBe(a.map(uid + '\0'));
    expect(a.map(uid)).toMatch(/^2\.25\.[1-9]\d{0,38}$/);
    expect(a.map(uid)).not.toBe(b.map(uid));
    expect(a.map(uid)).not.toBe(a.map(newUid()));
  });

  it('#14: shifts dates by N days (Modified Dates Option), or keeps them (Full Dates Option)', () => {
    const { instance } = subject();
    const shifted = read(
      deidentifyPart10(instance.bytes, { uids: new UidMap(), dates: { shiftDays: -30 } }),
    ).dict;
    expect(shifted['00080020']!.Value).toEqual(['20231203']);
    expect(shifted['00080023']!.Value).toEqual(['20231204']);
    expect(shifted['00080030']!.Value).toEqual(['101500']);
    expect(blank(shifted['00100030']?.Value)).toBe(true); // birth date: Z, not a kept date
    expect(shifted['00120064']!.Value!.map((i: Dataset) => i['00080100']!.Value![0])).toEqual([
      '113100',
      '113107',
    ]);
    const kept = read(deidentifyPart10(instance.bytes, { uids: new UidMap(), dates: 'keep' })).dict;
    expect(kept['00080020']!.Value).toEqual(['20240102']);
    expect(kept['00120064']!.Value!.map((i: Dataset) => i['00080100']!.Value![0])).toEqual([
      '113100',
      '113106',
    ]);
  });
});

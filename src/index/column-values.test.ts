import { describe, expect, it } from 'vitest';
import { canonicalJson, firstInteger, firstText, pickAttributes } from './column-values.js';

describe('index DICOM JSON readers', () => {
  const ds = {
    '00100010': { vr: 'PN', Value: [{ Alphabetic: 'Doe^Jane', Ideographic: '山田' }] },
    '00200011': { vr: 'IS', Value: [7] },
    '00200013': { vr: 'IS', Value: ['12'] },
    '00280008': { vr: 'IS', Value: [2 ** 40] },
    '00080060': { vr: 'CS', Value: ['CT'] },
    '00081030': { vr: 'LO' },
  };

  it('reads PN as its component groups, numbers as text, absent as null', () => {
    expect(firstText(ds, '00100010')).toBe('Doe^Jane=山田');
    expect(firstText(ds, '00200011')).toBe('7');
    expect(firstText(ds, '00081030')).toBeNull();
    expect(firstText(ds, '99999999')).toBeNull();
  });

  it('reads 32-bit integers only', () => {
    expect(firstInteger(ds, '00200011')).toBe(7);
    expect(firstInteger(ds, '00200013')).toBe(12);
    expect(firstInteger(ds, '00280008')).toBeNull();
  });

  it('picks the named tags', () => {
    expect(Object.keys(pickAttributes(ds, new Set(['00080060', '00100010']))).sort()).toEqual([
      '00080060',
      '00100010',
    ]);
  });

  it('gives one canonical text whatever the key order', () => {
    const a = { b: [{ y: 1, x: 2 }], a: 'z' };
    const b = { a: 'z', b: [{ x: 2, y: 1 }] };
    expect(canonicalJson(a)).toBe(canonicalJson(b));
    expect(canonicalJson(a)).toBe('{"a":"z","b":[{"x":2,"y":1}]}');
    expect(canonicalJson({ a: 1 })).not.toBe(canonicalJson({ a: 2 }));
  });
});

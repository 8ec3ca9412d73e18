import { describe, expect, it } from 'vitest';
import { getItems, getNumber, getString, stringifyDicomJson } from './dicom-json.js';
import type { DicomJsonDataset } from './types.js';

const ds: DicomJsonDataset = {
  '00100010': { vr: 'PN', Value: [{ Alphabetic: 'Doe^John' }] },
  '00200013': { vr: 'IS', Value: [7] },
  '00280008': { vr: 'IS', Value: ['12'] },
  '0020000D': { vr: 'UI', Value: ['1.2.3'] },
  '00081115': { vr: 'SQ', Value: [{ '00081150': { vr: 'UI', Value: ['1.2'] } }] },
  '60003000': { vr: 'OW', BulkDataURI: 'bulkdata/60003000' },
};

describe('DICOM JSON helpers', () => {
  it('reads strings, numbers and items', () => {
    expect(getString(ds, '0020000D')).toBe('1.2.3');
    expect(getString(ds, '00100010')).toBe('Doe^John');
    expect(getString(ds, '00200013')).toBe('7');
    expect(getNumber(ds, '00200013')).toBe(7);
    expect(getNumber(ds, '00280008')).toBe(12);
    expect(getNumber(ds, '0020000D', 3)).toBeUndefined();
    expect(getString(ds, '00080018')).toBeUndefined();
    expect(getItems(ds, '00081115')).toHaveLength(1);
  });

  it('writes attributes in ascending tag order even where JavaScript would not', () => {
    const json = stringifyDicomJson(ds);
    const keys = [...json.matchAll(/"([0-9A-F]{8})":\{"vr"/g)].map((m) => m[1]);
    expect(keys).toEqual([
      '00081115',
      '00081150',
      '00100010',
      '0020000D',
      '00200013',
      '00280008',
      '60003000',
    ]);
    expect(JSON.parse(json)).toEqual(ds);
  });
});

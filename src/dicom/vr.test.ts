import { describe, expect, it } from 'vitest';
import {
  hasLongLength,
  isBinaryVr,
  isNumericBinaryVr,
  isTextVr,
  paddingByte,
  swapWordSize,
  VRS,
} from './vr.js';

describe('vr', () => {
  it('uses the 4-byte explicit length for exactly the PS3.5 Table 7.1-1 VRs', () => {
    expect(VRS.filter(hasLongLength).sort()).toEqual(
      ['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'SV', 'UC', 'UN', 'UR', 'UT', 'UV'].sort(),
    );
  });

  it('tells binary from text', () => {
    expect(VRS.filter(isNumericBinaryVr).sort()).toEqual([
      'AT',
      'FD',
      'FL',
      'SL',
      'SS',
      'SV',
      'UL',
      'US',
      'UV',
    ]);
    expect(isBinaryVr('OW')).toBe(true);
    expect(isTextVr('PN')).toBe(true);
    expect(isTextVr('SQ')).toBe(false);
  });

  it('pads UI and OB with NUL, text with space', () => {
    expect(paddingByte('UI')).toBe(0);
    expect(paddingByte('OB')).toBe(0);
    expect(paddingByte('LO')).toBe(0x20);
  });

  it('swaps big-endian values by their PS3.5 §7.3 unit: number size, AT halves, byte-stream words', () => {
    expect(swapWordSize('US')).toBe(2);
    expect(swapWordSize('FD')).toBe(8);
    expect(swapWordSize('AT')).toBe(2);
    expect(swapWordSize('OW')).toBe(2);
    expect(swapWordSize('OF')).toBe(4);
    expect(swapWordSize('OB')).toBe(1);
    expect(swapWordSize('LO')).toBe(1);
  });
});

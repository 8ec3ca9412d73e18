import { describe, expect, it } from 'vitest';
import { defaultCharsetDecoder } from '../charset.js';
import { toJsonElement } from './values.js';

const le = { littleEndian: true, charset: defaultCharsetDecoder };
const be = { littleEndian: false, charset: defaultCharsetDecoder };
const latin1 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));

describe('toJsonElement', () => {
  it('splits multi-valued strings and trims padding', () => {
    expect(toJsonElement('CS', latin1('ORIGINAL\\PRIMARY '), le)).toEqual({
      vr: 'CS',
      Value: ['ORIGINAL', 'PRIMARY'],
    });
    expect(toJsonElement('UI', latin1('1.2.3\0'), le)).toEqual({ vr: 'UI', Value: ['1.2.3'] });
    expect(toJsonElement('LT', latin1('  a\\b  '), le)).toEqual({ vr: 'LT', Value: ['  a\\b'] });
  });

  it('leaves out Value when empty and uses null for empty values among several (F.2.5)', () => {
    expect(toJsonElement('LO', latin1('  '), le)).toEqual({ vr: 'LO' });
    expect(toJsonElement('CS', latin1('\\B'), le)).toEqual({ vr: 'CS', Value: [null, 'B'] });
    expect(toJsonElement('OB', new Uint8Array(0), le)).toEqual({ vr: 'OB' });
  });

  it('gives IS and DS as numbers, as strings when a number would lose precision or is malformed', () => {
    expect(toJsonElement('IS', latin1(' 12\\-3 '), le)).toEqual({ vr: 'IS', Value: [12, -3] });
    expect(toJsonElement('DS', latin1('1.5\\-2e3\\.5 '), le)).toEqual({
      vr: 'DS',
      Value: [1.5, -2000, 0.5],
    });
    expect(toJsonElement('DS', latin1('0.12345678901234567'), le)).toEqual({
      vr: 'DS',
      Value: ['0.12345678901234567'],
    });
    expect(toJsonElement('IS', latin1('99999999999999999999'), le)).toEqual({
      vr: 'IS',
      Value: ['99999999999999999999'],
    });
    expect(toJsonElement('DS', latin1('abc '), le)).toEqual({ vr: 'DS', Value: ['abc'] });
  });

  it('gives PN as component groups', () => {
    expect(toJsonElement('PN', latin1('A^B=C^D\\E'), le)).toEqual({
      vr: 'PN',
      Value: [{ Alphabetic: 'A^B', Ideographic: 'C^D' }, { Alphabetic: 'E' }],
    });
    expect(toJsonElement('PN', latin1('==P '), le)).toEqual({
      vr: 'PN',
      Value: [{ Phonetic: 'P' }],
    });
  });

  it('reads binary numbers in either byte order, AT as tags, 64-bit as numbers when safe', () => {
    expect(toJsonElement('US', new Uint8Array([1, 0, 2, 0]), le)).toEqual({
      vr: 'US',
      Value: [1, 2],
    });
    expect(toJsonElement('US', new Uint8Array([1, 0]), be)).toEqual({ vr: 'US', Value: [256] });
    expect(toJsonElement('SS', new Uint8Array([0xff, 0xff]), le)).toEqual({
      vr: 'SS',
      Value: [-1],
    });
    expect(toJsonElement('AT', new Uint8Array([0x20, 0x00, 0x0d, 0x00]), le)).toEqual({
      vr: 'AT',
      Value: ['0020000D'],
    });
    expect(toJsonElement('UV', new Uint8Array([1, 0, 0, 0, 0, 0, 0, 0]), le)).toEqual({
      vr: 'UV',
      Value: [1],
    });
    expect(toJsonElement('UV', new Uint8Array(8).fill(0xff), le)).toEqual({
      vr: 'UV',
      Value: ['18446744073709551615'],
    });
    expect(toJsonElement('FD', new Uint8Array(new Float64Array([0.25]).buffer), le)).toEqual({
      vr: 'FD',
      Value: [0.25],
    });
  });

  it('gives byte streams as InlineBinary, swapped to little endian from big endian OW', () => {
    expect(toJsonElement('OB', new Uint8Array([1, 2, 3, 4]), le)).toEqual({
      vr: 'OB',
      InlineBinary: 'AQIDBA==',
    });
    expect(toJsonElement('OW', new Uint8Array([1, 2, 3, 4]), be)).toEqual({
      vr: 'OW',
      InlineBinary: 'AgEEAw==',
    });
  });
});

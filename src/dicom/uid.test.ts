import { describe, expect, it } from 'vitest';
import { isValidUid } from './uid.js';

describe('isValidUid', () => {
  it.each([
    '1.2.840.10008.1.2',
    '0',
    '1.0.3',
    '2.25.329800735698586629295641978511506172918',
    // Leading zeros in a component (PS3.5 §9.1 forbids them; ultrasound and RTSTRUCT files have them).
    '1.2.840.01.3',
    '1.02.3',
    '01.2',
    '1.2.00',
    `1.${'2'.repeat(62)}`,
  ])('accepts %s', (uid) => {
    expect(isValidUid(uid)).toBe(true);
  });

  it.each([
    '',
    '1..2',
    '.1',
    '1.',
    '.',
    '1.2a',
    '1.2 ',
    ' 1.2',
    '1.2\0',
    '1.2/3',
    '../1.2',
    '1.2%2F3',
    '1.2,3',
    '1.2*',
    '-1.2',
    `1.${'2'.repeat(63)}`,
  ])('refuses "%s"', (uid) => {
    expect(isValidUid(uid)).toBe(false);
  });
});

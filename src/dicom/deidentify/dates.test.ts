import { describe, expect, it } from 'vitest';
import { shiftDa, shiftDt } from './dates.js';

describe('date shifting', () => {
  it('moves DA across months, years and leap days', () => {
    expect(shiftDa('20240301', -1)).toBe('20240229');
    expect(shiftDa('20231231', 1)).toBe('20240101');
    expect(shiftDa('20240102', 0)).toBe('20240102');
  });
  it('moves the date of a DT and keeps its time and offset', () => {
    expect(shiftDt('20240102103000.5+0100', 10)).toBe('20240112103000.5+0100');
  });
  it('empties what is not a date rather than keep it', () => {
    expect(shiftDa('2024', 5)).toBe('');
    expect(shiftDa('notadate', 5)).toBe('');
    expect(shiftDa('', 5)).toBe('');
  });
});

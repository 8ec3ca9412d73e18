import { describe, expect, it } from 'vitest';
import { negotiate, negotiateOrThrow, parseAccept, type Offer } from './negotiate.js';

const ELE = '1.2.840.10008.1.2.1';
const JPEG = '1.2.840.10008.1.2.4.50';
const instances: Offer[] = [
  {
    type: 'multipart/related',
    params: { type: 'application/dicom' },
    transferSyntaxes: [ELE, '*'],
  },
  { type: 'application/dicom', transferSyntaxes: [ELE, '*'] },
];
const frames: Offer[] = [
  {
    type: 'multipart/related',
    params: { type: 'application/octet-stream' },
    transferSyntaxes: [ELE, '*'],
  },
  { type: 'application/octet-stream', transferSyntaxes: [ELE, '*'] },
];

describe('negotiate', () => {
  it('takes the first offer without an Accept header or with */*', () => {
    expect(negotiate(undefined, instances)?.offer).toBe(instances[0]);
    expect(negotiate('*/*', instances)?.transferSyntax).toBe(ELE);
  });

  it('reads OHIF unquoted type= and transfer-syntax=*', () => {
    const result = negotiate(
      'multipart/related; type=application/octet-stream; transfer-syntax=*',
      frames,
    );
    expect(result?.offer).toBe(frames[0]);
    expect(result?.transferSyntax).toBe('*');
  });

  it('reads quoted type= and a comma inside quotes', () => {
    const ranges = parseAccept(
      'multipart/related; type="application/dicom"; x="a,b", image/png;q=0.5',
    );
    expect(ranges).toHaveLength(2);
    expect(ranges[0]?.params['type']).toBe('application/dicom');
    expect(ranges[1]?.q).toBe(0.5);
  });

  it('matches multipart/* and picks the highest q, ties by the server order', () => {
    expect(negotiate('multipart/*', instances)?.offer).toBe(instances[0]);
    expect(negotiate('multipart/related;q=0.2, application/dicom', instances)?.offer).toBe(
      instances[1],
    );
  });

  it('skips ranges whose transfer syntax cannot be produced and falls back to the next', () => {
    const accept = `multipart/related; type=application/dicom; transfer-syntax=${JPEG}, multipart/related; type=application/dicom; transfer-syntax=*;q=0.5`;
    expect(negotiate(accept, instances)?.transferSyntax).toBe('*');
  });

  it('excludes offers a more specific range gives q=0', () => {
    expect(negotiate('application/dicom;q=0, */*;q=0.1', instances.slice(1))).toBeUndefined();
  });

  it('answers 406 naming what is offered', () => {
    expect(() => negotiateOrThrow('image/png', instances)).toThrow(
      /offers multipart\/related; type="application\/dicom"; transfer-syntax=1\.2\.840\.10008\.1\.2\.1\|\*/,
    );
  });

  it('refuses an Accept header with no valid range', () => {
    expect(() => negotiate('%%%', instances)).toThrow(/no valid media range/);
  });
});

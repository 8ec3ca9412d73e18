import { describe, expect, it } from 'vitest';
import { negotiate, warningsOf } from './qido.routes.js';
import { NotAcceptableError } from '../services/errors.js';
import { toNativeDicomModel } from './qido-xml.js';

const result = (over: Partial<Parameters<typeof warningsOf>[0]> = {}) => ({
  datasets: [],
  remaining: 0,
  remainingCapped: false,
  nextOffset: 10,
  warnings: [],
  ...over,
});

describe('QIDO-RS negotiation (PS3.18 8.7.3)', () => {
  it.each([
    [undefined, 'json'],
    ['', 'json'],
    ['application/dicom+json', 'json'],
    ['application/json', 'json'],
    ['text/html, */*;q=0.8', 'json'],
    ['multipart/related; type="application/dicom+xml"', 'xml'],
    ['multipart/related; type=application/dicom+xml, application/dicom+json;q=0.9', 'xml'],
    ['multipart/related; type=application/dicom+xml, application/dicom+json', 'json'],
    ['application/dicom+json;q=0, multipart/related; type="application/dicom+xml"', 'xml'],
    ['multipart/related; type="application/dicom+xml"; q=0.5, application/dicom+json', 'json'],
    ['*/*;q=0.1, multipart/related; type="application/dicom+xml"; q=0.9', 'xml'],
  ] as const)('Accept %s → %s', (accept, expected) => {
    expect(negotiate(accept)).toBe(expected);
  });

  it.each(['application/dicom+xml', 'image/jpeg', 'multipart/related; type="application/dicom"'])(
    'refuses Accept %s with a 406 error',
    (accept) => {
      expect(() => negotiate(accept)).toThrow(NotAcceptableError);
    },
  );
});

describe('QIDO-RS Warning headers (PS3.18 8.3.4.4.1, RFC 9111 5.5)', () => {
  it('says nothing when nothing remains', () => {
    expect(warningsOf(result(), 'pacs.example')).toEqual([]);
  });

  it('counts what remains and names the next offset', () => {
    expect(warningsOf(result({ remaining: 42 }), 'pacs.example')).toEqual([
      '299 pacs.example "There are 42 additional results that can be requested with offset=10"',
    ]);
    expect(warningsOf(result({ remaining: 10000, remainingCapped: true }), 'h')[0]).toContain(
      'at least 10000',
    );
  });

  it('carries the query warnings, with quotes removed from the text', () => {
    expect(warningsOf(result({ warnings: ['a "quoted" text'] }), 'h')).toEqual([
      '299 h "a quoted text"',
    ]);
  });
});

describe('PS3.19 Native DICOM Model', () => {
  it('writes attributes in tag order with keywords, person name components and items', () => {
    const xml = toNativeDicomModel({
      '00100020': { vr: 'LO', Value: ['A<&>"'] },
      '00100010': { vr: 'PN', Value: [{ Alphabetic: 'Doe^John^^Dr', Ideographic: '山田^太郎' }] },
      '00400275': { vr: 'SQ', Value: [{ '00400009': { vr: 'SH', Value: ['S1'] } }] },
      '00080030': { vr: 'TM' },
    });
    expect(xml).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>\n' +
        '<NativeDicomModel xmlns="http://dicom.nema.org/PS3.19/models/NativeDICOM">' +
        '<DicomAttribute tag="00080030" vr="TM" keyword="StudyTime"></DicomAttribute>' +
        '<DicomAttribute tag="00100010" vr="PN" keyword="PatientName"><PersonName number="1">' +
        '<Alphabetic><FamilyName>Doe</FamilyName><GivenName>John</GivenName><NamePrefix>Dr</NamePrefix></Alphabetic>' +
        '<Ideographic><FamilyName>山田</FamilyName><GivenName>太郎</GivenName></Ideographic>' +
        '</PersonName></DicomAttribute>' +
        '<DicomAttribute tag="00100020" vr="LO" keyword="PatientID"><Value number="1">A&lt;&amp;&gt;&quot;</Value></DicomAttribute>' +
        '<DicomAttribute tag="00400275" vr="SQ" keyword="RequestAttributesSequence"><Item number="1">' +
        '<DicomAttribute tag="00400009" vr="SH" keyword="ScheduledProcedureStepID"><Value number="1">S1</Value></DicomAttribute>' +
        '</Item></DicomAttribute></NativeDicomModel>',
    );
  });
});

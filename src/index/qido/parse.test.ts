import { describe, expect, it } from 'vitest';
import { QidoBadParameterError, QidoUnknownAttributeError } from './errors.js';
import { fuzzyName, fuzzyWords } from './fuzzy.js';
import { FUZZY_NOT_PERFORMED, parseQido, type QidoResource } from './parse.js';
import { likePattern } from './values.js';

const limits = { defaultLimit: 100, maxLimit: 1000 };
const parse = (query: string, resource: QidoResource = { level: 'study' }) =>
  parseQido(resource, new URLSearchParams(query).entries(), limits);

describe('parseQido (PS3.18 8.3.4)', () => {
  it('takes the configured default limit, and the last limit/offset given', () => {
    expect(parse('')).toMatchObject({ limit: 100, offset: 0 });
    expect(parse('limit=5&limit=7&offset=3')).toMatchObject({ limit: 7, offset: 3 });
  });

  it('caps a limit above maxResults to it (PS3.18 8.3.4.4.1: min(…, maxResults, limit))', () => {
    expect(parse('limit=1001').limit).toBe(1000);
    expect(parse('limit=1000000000').limit).toBe(1000);
    expect(parse('limit=1000').limit).toBe(1000);
  });

  it.each(['limit=-1', 'limit=0', 'limit=1e3', 'offset=-2', 'offset=99999999999'])(
    'refuses %s naming the parameter',
    (query) => {
      expect(() => parse(query)).toThrow(QidoBadParameterError);
      expect(() => parse(query)).toThrow(/query parameter (limit|offset)/);
    },
  );

  it('accepts keywords, tags in any case, and ignores lower-case non-attribute parameters', () => {
    const q = parse('PatientID=1&00100010=x&0020000d=1.2&_=9&callback=f');
    expect(
      q.conditions.map((c) => (c.kind === 'attribute' ? c.attribute.keyword : c.kind)),
    ).toEqual(['PatientID', 'PatientName', 'StudyInstanceUID']);
  });

  it('ignores lower-level match keys and includefields, but reads Modality as ModalitiesInStudy', () => {
    const q = parse('SOPClassUID=1.2&SeriesDescription=x&Modality=CT&includefield=00080018');
    expect(q.conditions).toHaveLength(1);
    expect(q.conditions[0]).toMatchObject({ attribute: { keyword: 'ModalitiesInStudy' } });
    expect(q.include.tags).toEqual(['00080061']);
  });

  it('collects includefield lists, repeats and all', () => {
    const q = parse('includefield=00081030,PatientAge&includefield=all', { level: 'series' });
    expect(q.include).toEqual({ all: true, tags: ['00081030', '00101010'] });
  });

  it('treats empty values and a lone * as universal matching (return only)', () => {
    const q = parse('PatientName=&PatientID=*');
    expect(q.conditions).toEqual([]);
    expect(q.include.tags).toEqual(['00100010', '00100020']);
  });

  it('refuses unknown keywords, bad tags and private tags', () => {
    for (const query of ['Foo=1', '001000=1', '00091010=1', 'includefield=Bar']) {
      expect(() => parse(query)).toThrow(QidoUnknownAttributeError);
    }
  });

  it('refuses a NUL in any value or match key, with a code for the client, not a database error', () => {
    for (const query of [
      'PatientName=Smith%5EJohn%00',
      'PatientID=%00',
      'StudyInstanceUID=1.2.3%00',
      'StudyDate=2020%00',
      'ReferencedStudySequence.ReferencedSOPInstanceUID=1%00',
      'includefield=PatientAge%00',
      'limit=1%00',
      'Patient%00Name=x',
    ]) {
      expect(() => parse(query), query).toThrow(/NUL/);
      expect(() => parse(query), query).toThrow(QidoBadParameterError);
    }
    // Parameters the server ignores are not inspected.
    expect(() => parse('_=%00')).not.toThrow();
  });

  it('refuses matching a sequence by value, and deeper sequence paths', () => {
    expect(() => parse('RequestAttributesSequence=x', { level: 'series' })).toThrow(
      /through its items/,
    );
    expect(() => parse('A.B.C=x')).toThrow(/one level/);
  });

  it('multiple value matching applies to text, names, modalities and numbers, not UID lists', () => {
    const combines = (query: string) =>
      parse(`${query}&multiplevaluematching=true`, { level: 'instance' }).conditions.map((c) =>
        c.kind === 'attribute' ? c.combine : c.kind,
      );
    expect(combines('ImageType=A\\B')).toEqual(['all']);
    expect(combines('ReferencedFrameNumber=1\\2')).toEqual(['all']);
    expect(combines('SOPInstanceUID=1.2\\1.3')).toEqual(['any']);
    expect(parse('ReferencedFrameNumber=1\\2', { level: 'instance' }).conditions[0]).toMatchObject({
      combine: 'any',
    });
  });

  it('warns when fuzzy matching cannot be performed for a person name', () => {
    expect(parse('PatientName=x&fuzzymatching=true').warnings).toEqual([]);
    expect(
      parse('PerformingPhysicianName=x&fuzzymatching=true', { level: 'series' }).warnings,
    ).toEqual([FUZZY_NOT_PERFORMED]);
    // A person name inside a sequence item is matched literally too, and said so once.
    const inItem = parse(
      'RequestAttributesSequence.RequestingPhysician=x&PerformingPhysicianName=y&fuzzymatching=true',
      { level: 'series' },
    );
    expect(inItem.warnings).toEqual([FUZZY_NOT_PERFORMED]);
    expect(parse('PerformingPhysicianName=x', { level: 'series' }).warnings).toEqual([]);
  });

  it.each([
    ['StudyDate=2020010', /date/],
    ['StudyDate=20200230x', /date/],
    ['StudyDate=20200101-20200102-20200103', /date/],
    ['StudyTime=25', /time out of range/],
    ['StudyTime=10.5', /time/],
    ['SeriesNumber=one', /number/],
    ['StudyInstanceUID=1..2', /UID/],
    ['StudyInstanceUID=1.2/3', /UID/],
  ])('refuses the malformed value of %s', (query, message) => {
    expect(() => parse(query, { level: 'series' })).toThrow(message);
  });
});

describe('fuzzy names and LIKE patterns', () => {
  it('folds case, accents and separators into words', () => {
    expect(fuzzyWords('Müller^Jürgen=ミュラー')).toEqual(['MULLER', 'JURGEN', 'ミュラー']);
    expect(fuzzyName("O'Brien^Pat")).toBe(' O BRIEN PAT ');
    expect(fuzzyName(null)).toBeNull();
  });

  it('escapes LIKE metacharacters and maps DICOM wildcards', () => {
    expect(likePattern('50%_off*?')).toBe('50\\%\\_off%_');
    expect(likePattern('a\\b')).toBe('a\\\\b');
  });
});

import { describe, expect, it } from 'vitest';
import { formatMediaType, MediaTypeError, parseMediaType } from './media-type.js';

describe('parseMediaType', () => {
  it('reads the standard STOW form with a quoted type', () => {
    expect(
      parseMediaType('multipart/related; type="application/dicom"; boundary=strata-1234'),
    ).toEqual({
      type: 'multipart/related',
      params: { type: 'application/dicom', boundary: 'strata-1234' },
    });
  });

  it('reads an unquoted type, as OHIF sends with omitQuotationForMultipartRequest', () => {
    expect(
      parseMediaType('multipart/related; type=application/dicom; boundary=abc').params,
    ).toEqual({ type: 'application/dicom', boundary: 'abc' });
  });

  it('lowercases type and parameter names but keeps value case', () => {
    expect(parseMediaType('Multipart/Related; BOUNDARY=AbC; Type="Application/DICOM"')).toEqual({
      type: 'multipart/related',
      params: { boundary: 'AbC', type: 'Application/DICOM' },
    });
  });

  it('tolerates whitespace around separators and "=", tabs included', () => {
    expect(
      parseMediaType('  multipart/related ;\ttype = "application/dicom" ;boundary=x  '),
    ).toEqual({ type: 'multipart/related', params: { type: 'application/dicom', boundary: 'x' } });
  });

  it('keeps ";" and spaces inside a quoted string and resolves backslash escapes', () => {
    expect(parseMediaType('multipart/related; boundary="a;b c\\"d\\\\e"; type=x').params).toEqual({
      boundary: 'a;b c"d\\e',
      type: 'x',
    });
  });

  it('reads a quoted boundary with the special characters RFC 2046 allows', () => {
    expect(
      parseMediaType(`multipart/related; boundary="'()+_,-./:=? end"`).params['boundary'],
    ).toBe("'()+_,-./:=? end");
  });

  it('reads unquoted boundaries holding "=", ":" and "/" as some clients send them', () => {
    expect(parseMediaType('multipart/related; boundary=----=_Part_0:1/2').params['boundary']).toBe(
      '----=_Part_0:1/2',
    );
  });

  it('accepts an empty quoted value, empty parameters and a trailing ";"', () => {
    expect(parseMediaType('multipart/related;; boundary="";').params).toEqual({ boundary: '' });
  });

  it('reads a media type without parameters', () => {
    expect(parseMediaType('application/dicom')).toEqual({ type: 'application/dicom', params: {} });
  });

  it('does not let a parameter named __proto__ or constructor reach the prototype', () => {
    const { params } = parseMediaType('a/b; __proto__=x; constructor=y');
    expect(Object.getPrototypeOf(params)).toBe(Object.prototype);
    expect(params['constructor']).toBe('y');
    expect(Object.keys(params)).toEqual(['__proto__', 'constructor']);
    expect(params['__proto__']).toBe('x');
  });

  it.each([
    ['', 'empty'],
    ['multipart', 'no subtype'],
    ['multipart/', 'empty subtype'],
    ['/related', 'empty type'],
    ['multipart /related', 'space before "/"'],
    ['multipart/related boundary=x', 'no ";"'],
    ['multipart/related; boundary', 'parameter without "="'],
    ['multipart/related; boundary=', 'empty unquoted value'],
    ['multipart/related; boundary="abc', 'unterminated quoted string'],
    ['multipart/related; boundary="a\\', 'dangling backslash'],
    ['multipart/related; boundary="a\nb"', 'control character in quoted string'],
    ['multipart/related; boundary=a b', 'space inside an unquoted value'],
    ['multipart/related; boundary="x" junk', 'text after a quoted value'],
    ['multipart/related; boundary=a; BOUNDARY=b', 'parameter given twice'],
    ['multipart/related; =x', 'missing parameter name'],
    ['multipart/related, text/plain', 'a list instead of one media type'],
    ['multipart/related; type=a"b', 'quote inside an unquoted value'],
  ])('refuses %j (%s) with web.bad_media_type', (header) => {
    let error: unknown;
    try {
      parseMediaType(header);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(MediaTypeError);
    expect((error as MediaTypeError).code).toBe('web.bad_media_type');
    expect((error as MediaTypeError).message).toMatch(/at character \d+$/);
  });
});

describe('formatMediaType', () => {
  it('quotes values that are not tokens and round-trips through parseMediaType', () => {
    const header = formatMediaType('multipart/related', {
      type: 'application/dicom',
      boundary: 'a "b"\\c',
    });
    expect(header).toBe('multipart/related; type="application/dicom"; boundary="a \\"b\\"\\\\c"');
    expect(parseMediaType(header).params).toEqual({
      type: 'application/dicom',
      boundary: 'a "b"\\c',
    });
  });

  it('leaves tokens unquoted', () => {
    expect(formatMediaType('multipart/related', { boundary: 'strata-1' })).toBe(
      'multipart/related; boundary=strata-1',
    );
  });

  it('refuses values that cannot be sent', () => {
    expect(() => formatMediaType('a/b', { boundary: 'a\r\nb' })).toThrow(TypeError);
  });
});

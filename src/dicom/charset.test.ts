import { describe, expect, it } from 'vitest';
import { createCharsetDecoder } from './charset.js';
import { scanPart10 } from './part10/scan.js';
import { chunked, readSample, samplesAvailable } from './testing/samples.js';

const bytes = (...values: number[]): Uint8Array => new Uint8Array(values);
const ascii = (s: string): number[] => [...Buffer.from(s, 'latin1')];
const ESC = 0x1b;

async function patientName(file: string): Promise<unknown> {
  const result = await scanPart10(chunked(readSample(file)));
  return result.dataset['00100010']?.Value?.[0];
}

describe.skipIf(!samplesAvailable)('charset decoding of the sample set', () => {
  it.each([
    ['cs-iso-ir-100_french.dcm', { Alphabetic: 'Buc^Jérôme' }],
    ['cs-iso-ir-192_utf8.dcm', { Alphabetic: 'Wang^XiaoDong', Ideographic: '王^小東' }],
    [
      'cs-iso2022-ir87_japanese.dcm',
      { Alphabetic: 'Yamada^Tarou', Ideographic: '山田^太郎', Phonetic: 'やまだ^たろう' },
    ],
    ['cs-iso-ir-144_cyrillic.dcm', { Alphabetic: 'Люкceмбypг' }],
    ['cs-iso-ir-127_arabic.dcm', { Alphabetic: 'قباني^لنزار' }],
  ])('decodes the PatientName of %s', async (file, expected) => {
    expect(await patientName(file)).toEqual(expected);
  });

  it('applies the Specific Character Set of a sequence item to that item only', async () => {
    const result = await scanPart10(chunked(readSample('cs-sequence-own-charset.dcm')));
    const item = result.dataset['00321064']?.Value?.[0] as Record<string, { Value?: unknown[] }>;
    expect(item['00100010']?.Value?.[0]).toEqual({
      Alphabetic: 'ﾔﾏﾀﾞ^ﾀﾛｳ',
      Ideographic: '山田^太郎',
      Phonetic: 'やまだ^たろう',
    });
    expect(result.dataset['00321032']?.Value?.[0]).toEqual({ Alphabetic: 'Doctor^Who^^MD' });
  });
});

describe('createCharsetDecoder', () => {
  const warnings: string[] = [];
  const warn = (m: string): void => void warnings.push(m);

  it('decodes single-byte sets', () => {
    expect(createCharsetDecoder(['ISO_IR 100'], warn).decode(bytes(0x4a, 0xe9))).toBe('Jé');
    expect(createCharsetDecoder(['ISO_IR 101'], warn).decode(bytes(0xb1))).toBe('ą');
    expect(createCharsetDecoder(['ISO_IR 126'], warn).decode(bytes(0xe1))).toBe('α');
    expect(createCharsetDecoder(['ISO_IR 138'], warn).decode(bytes(0xe0))).toBe('א');
    expect(createCharsetDecoder(['ISO_IR 166'], warn).decode(bytes(0xa1))).toBe('ก');
    expect(createCharsetDecoder(['ISO_IR 13'], warn).decode(bytes(0xd4, 0xcf))).toBe('ﾔﾏ');
  });

  it('decodes GB18030 and GBK, including trail bytes equal to backslash', () => {
    expect(createCharsetDecoder(['GB18030'], warn).decode(bytes(0xce, 0xc4))).toBe('文');
    expect(createCharsetDecoder(['GBK'], warn).decode(bytes(0x81, 0x5c))).toBe('乗');
  });

  it('decodes ISO 2022 IR 149 (Korean) after its escape sequence', () => {
    const decoder = createCharsetDecoder(['', 'ISO 2022 IR 149'], warn);
    expect(decoder.decode(bytes(...ascii('Hong'), ESC, 0x24, 0x29, 0x43, 0xc8, 0xab))).toBe(
      'Hong홍',
    );
  });

  it('decodes ISO 2022 IR 100 with G1 designated by default', () => {
    expect(createCharsetDecoder(['ISO 2022 IR 100'], warn).decode(bytes(0x4a, 0xe9))).toBe('Jé');
  });

  it('returns to the initial set at PN delimiters', () => {
    const decoder = createCharsetDecoder(['', 'ISO 2022 IR 87'], warn);
    const value = bytes(
      ESC,
      0x24,
      0x42,
      0x3b,
      0x33,
      0x45,
      0x44,
      ESC,
      0x28,
      0x42,
      0x3d,
      ...ascii('A'),
    );
    expect(decoder.decode(value, true)).toBe('山田=A');
  });

  it('decodes an unknown term as Latin-1 with a warning, never throws', () => {
    warnings.length = 0;
    expect(createCharsetDecoder(['ISO_IR 999'], warn).decode(bytes(0x41, 0xe9))).toBe('Aé');
    expect(warnings).toHaveLength(1);
  });
});

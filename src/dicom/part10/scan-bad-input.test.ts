import { ItemDelimitationTag, ItemTag, SequenceDelimitationTag } from '../tag.js';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DicomParseError, HeaderTooLargeError, NotPart10Error } from '../errors.js';
import {
  concat,
  explicitElement,
  fileMeta,
  implicitElement,
  itemHeader,
  part10,
  text,
  UNDEFINED_LENGTH,
} from '../testing/build-part10.js';
import { chunked } from '../testing/samples.js';
import { scanPart10 } from './scan.js';

const IMPLICIT = '1.2.840.10008.1.2';

async function parseError(bytes: Uint8Array): Promise<DicomParseError> {
  const error = await scanPart10(chunked(bytes, [7])).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(DicomParseError);
  const parseError = error as DicomParseError;
  expect(parseError.offset).toBeGreaterThanOrEqual(0);
  expect(parseError.offset).toBeLessThanOrEqual(bytes.length);
  return parseError;
}

describe('scanPart10 on bad input', () => {
  it('refuses a stream shorter than the preamble, or without DICM at 128', async () => {
    await expect(scanPart10(chunked(new Uint8Array(100)))).rejects.toBeInstanceOf(NotPart10Error);
    await expect(scanPart10(chunked(new Uint8Array(300)))).rejects.toBeInstanceOf(NotPart10Error);
  });

  it('throws DicomParseError (never a RangeError or a hang) for random bytes after DICM', async () => {
    const head = fileMeta('1.2.840.10008.1.2.1').subarray(0, 132);
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 1, maxLength: 400 }),
        fc.boolean(),
        async (noise, keepMeta) => {
          const bytes = concat([keepMeta ? fileMeta('1.2.840.10008.1.2.1') : head, noise]);
          const error = await scanPart10(chunked(bytes, [13])).then(
            () => undefined,
            (e: unknown) => e,
          );
          if (error !== undefined) expect(error).toBeInstanceOf(DicomParseError);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('reports a length larger than the rest of the stream as truncated, with its offset', async () => {
    const bytes = part10([
      explicitElement('00100010', 'PN', text('A^B')),
      explicitElement('00181030', 'LO', text('x'), 5000),
    ]);
    const error = await parseError(bytes);
    expect(error.message).toMatch(/truncated value of 00181030 at byte \d+/);
    expect(error.offset).toBe(bytes.length - 2 - 8);
  });

  it('reports a bulk value cut short', async () => {
    await parseError(part10([explicitElement('7FE00010', 'OW', new Uint8Array(10), 1 << 20)]));
  });

  it('refuses an item tag where an element is expected', async () => {
    const error = await parseError(
      part10([explicitElement('00100010', 'PN', text('A')), itemHeader(ItemTag, 0)]),
    );
    expect(error.message).toMatch(/unexpected FFFEE000/);
  });

  it('refuses a sequence item whose length runs past its parent sequence', async () => {
    const item = concat([itemHeader(ItemTag, 100), explicitElement('00100020', 'LO', text('ID'))]);
    const error = await parseError(
      part10([
        explicitElement('00081115', 'SQ', item),
        explicitElement('00100010', 'PN', text('A')),
      ]),
    );
    expect(error.message).toMatch(/runs past/);
  });

  it('refuses an element that runs past its defined-length item', async () => {
    const inner = explicitElement('00100020', 'LO', text('LONG-ID'));
    const item = concat([itemHeader(ItemTag, 6), inner]);
    await parseError(part10([explicitElement('00081115', 'SQ', item, item.length)]));
  });

  it('refuses a sequence of undefined length that never ends', async () => {
    const item = concat([
      itemHeader(ItemTag, UNDEFINED_LENGTH),
      explicitElement('00100020', 'LO', text('ID')),
    ]);
    const error = await parseError(
      part10([explicitElement('00081115', 'SQ', item, UNDEFINED_LENGTH)]),
    );
    expect(error.message).toMatch(/truncated/);
  });

  it('refuses something other than an item inside a sequence', async () => {
    const error = await parseError(
      part10([explicitElement('00081115', 'SQ', explicitElement('00100020', 'LO', text('ID')))]),
    );
    expect(error.message).toMatch(/expected an item in sequence 00081115/);
  });

  it('refuses bytes that are no VR in explicit VR', async () => {
    const bytes = part10([new Uint8Array([0x10, 0x00, 0x10, 0x00, 0x01, 0x02, 0x00, 0x00])]);
    expect((await parseError(bytes)).message).toMatch(/invalid VR of 00100010/);
  });

  it('refuses a file meta without a transfer syntax', async () => {
    const preamble = new Uint8Array(132);
    preamble.set([0x44, 0x49, 0x43, 0x4d], 128);
    await parseError(concat([preamble, explicitElement('00020001', 'OB', new Uint8Array([0, 1]))]));
  });

  it('refuses sequences nested deeper than the cap', async () => {
    let nested = explicitElement('00100020', 'LO', text('ID'));
    for (let i = 0; i < 80; i++) {
      nested = explicitElement(
        '00081115',
        'SQ',
        concat([itemHeader(ItemTag, UNDEFINED_LENGTH), nested, itemHeader(ItemDelimitationTag)]),
        UNDEFINED_LENGTH,
      );
      nested = concat([nested, itemHeader(SequenceDelimitationTag)]);
    }
    expect((await parseError(part10([nested]))).message).toMatch(/nested deeper/);
  });

  it('throws HeaderTooLargeError past maxHeaderBytes', async () => {
    const bytes = part10([
      explicitElement('00081030', 'LO', text('x'.repeat(60))),
      explicitElement('00100010', 'PN', text('A^B')),
    ]);
    await expect(scanPart10(chunked(bytes), { maxHeaderBytes: 64 })).rejects.toBeInstanceOf(
      HeaderTooLargeError,
    );
  });

  it('reads an implicit VR dataset with an undefined-length private element as a sequence', async () => {
    const item = concat([
      itemHeader(ItemTag, UNDEFINED_LENGTH),
      implicitElement('00100020', text('ID')),
      itemHeader(ItemDelimitationTag),
    ]);
    const bytes = part10(
      [
        implicitElement('00090010', text('CREATOR')),
        implicitElement('00091001', item, UNDEFINED_LENGTH),
        itemHeader(SequenceDelimitationTag),
      ],
      IMPLICIT,
    );
    const result = await scanPart10(chunked(bytes, [3]));
    expect(result.dataset['00090010']).toEqual({ vr: 'LO', Value: ['CREATOR'] });
    expect(result.dataset['00091001']).toEqual({
      vr: 'SQ',
      Value: [{ '00100020': { vr: 'LO', Value: ['ID'] } }],
    });
  });

  it('reads an unknown transfer syntax as explicit VR LE with a warning', async () => {
    const bytes = part10([explicitElement('00100020', 'LO', text('ID'))], '1.2.3.4.5.6');
    const result = await scanPart10(chunked(bytes));
    expect(result.transferSyntaxUid).toBe('1.2.3.4.5.6');
    expect(result.dataset['00100020']).toEqual({ vr: 'LO', Value: ['ID'] });
    expect(result.warnings.join()).toMatch(/unknown transfer syntax/);
  });

  it('lays out encapsulated pixel data of an unknown syntax', async () => {
    const fragment = new Uint8Array([0xff, 0xd8, 1, 2]);
    const pixels = concat([
      itemHeader(ItemTag, 0),
      itemHeader(ItemTag, fragment.length),
      fragment,
      itemHeader(SequenceDelimitationTag),
    ]);
    const bytes = part10(
      [explicitElement('7FE00010', 'OB', pixels, UNDEFINED_LENGTH)],
      '1.2.3.4.5.6',
    );
    const result = await scanPart10(chunked(bytes));
    expect(result.pixelData).toMatchObject({
      kind: 'encapsulated',
      fragments: [{ offset: bytes.length - 12, length: 4 }],
    });
  });
});

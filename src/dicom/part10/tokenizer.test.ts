import { describe, expect, it } from 'vitest';
import { DicomParseError } from '../errors.js';
import { ItemDelimitationTag, ItemTag } from '../tag.js';
import {
  concat,
  explicitElement,
  implicitElement,
  itemHeader,
  text,
  UNDEFINED_LENGTH,
} from '../testing/build-part10.js';
import { chunked } from '../testing/samples.js';
import { ByteReader } from './byte-reader.js';
import {
  ensureHeader,
  EXPLICIT_LE,
  IMPLICIT_LE,
  readElementHeader,
  valueLayoutOf,
  type ElementHeader,
  type TokenizerContext,
} from './tokenizer.js';

const BIG_ENDIAN = { explicitVr: true, littleEndian: false };

async function headerOf(bytes: Uint8Array, syntax = EXPLICIT_LE, warnings: string[] = []) {
  const r = new ByteReader(chunked(bytes, [3]));
  expect(await ensureHeader(r)).toBe(true);
  const context: TokenizerContext = {
    pixelRepresentation: undefined,
    warn: (m) => void warnings.push(m),
  };
  return { r, header: readElementHeader(r, syntax, context) };
}

describe('readElementHeader', () => {
  it('reads 16- and 32-bit explicit lengths by VR (PS3.5 §7.1.2)', async () => {
    const short = await headerOf(explicitElement('00100010', 'PN', text('DOE^J')));
    expect(short.header).toMatchObject({ kind: 'element', tag: '00100010', vr: 'PN', length: 6 });
    expect(short.r.position).toBe(8);
    const long = await headerOf(explicitElement('00091010', 'OB', new Uint8Array(4)));
    expect(long.header).toMatchObject({ vr: 'OB', length: 4 });
    expect(long.r.position).toBe(12);
  });

  it('takes the VR from the dictionary in implicit VR (PS3.5 §A.1)', async () => {
    const { header } = await headerOf(implicitElement('00100010', text('DOE^J')), IMPLICIT_LE);
    expect(header).toMatchObject({ vr: 'PN', length: 6, valueSyntax: IMPLICIT_LE });
  });

  it('reads big-endian group, element and length', async () => {
    const bytes = new Uint8Array([0x00, 0x28, 0x00, 0x10, 0x55, 0x53, 0x00, 0x02, 0x02, 0x00]);
    const { header } = await headerOf(bytes, BIG_ENDIAN);
    expect(header).toMatchObject({ tag: '00280010', vr: 'US', length: 2 });
  });

  it('reads an unknown VR as UN with a 32-bit length, with a warning (PS3.5 §6.2)', async () => {
    const bytes = explicitElement('00091010', 'UN', text('AB'));
    bytes.set([0x5a, 0x5a], 4); // 'ZZ'
    const warnings: string[] = [];
    const { header } = await headerOf(bytes, EXPLICIT_LE, warnings);
    expect(header).toMatchObject({ vr: 'UN', length: 2 });
    expect(warnings).toEqual(['unknown VR of 00091010 at byte 0 read as UN']);
  });

  it('refuses a VR that is not two uppercase letters', async () => {
    const bytes = explicitElement('00100010', 'PN', text('DOE^J'));
    bytes[4] = 0x70; // 'p'
    await expect(headerOf(bytes)).rejects.toThrow(DicomParseError);
  });

  it('re-types a UN of a standard tag to its dictionary VR, value in Implicit VR LE (PS3.5 §6.2.2)', async () => {
    const standard = await headerOf(explicitElement('00100010', 'UN', text('DOE^J')));
    expect(standard.header).toMatchObject({ vr: 'PN', valueSyntax: IMPLICIT_LE });
    const privateTag = await headerOf(explicitElement('00091010', 'UN', text('AB')));
    expect(privateTag.header).toMatchObject({ vr: 'UN', valueSyntax: EXPLICIT_LE });
  });

  it('returns item and delimiter headers for the caller to judge', async () => {
    const { header } = await headerOf(itemHeader(ItemDelimitationTag));
    expect(header).toEqual({ kind: 'item', tag: ItemDelimitationTag, length: 0, start: 0 });
  });

  it('refuses a long header cut after its VR', async () => {
    await expect(
      headerOf(explicitElement('00091010', 'OB', new Uint8Array(4)).subarray(0, 9)),
    ).rejects.toThrow(/truncated element header at byte 0/);
  });
});

describe('valueLayoutOf', () => {
  async function layoutOf(bytes: Uint8Array, syntax = EXPLICIT_LE) {
    const { r, header } = await headerOf(bytes, syntax);
    return valueLayoutOf(r, header as ElementHeader, syntax);
  }

  it('sees items in SQ, undefined-length UN and implicit unknown elements starting with an item', async () => {
    expect(await layoutOf(explicitElement('00081115', 'SQ', new Uint8Array(0)))).toEqual({
      kind: 'sequence',
      syntax: EXPLICIT_LE,
    });
    expect(
      await layoutOf(explicitElement('00091010', 'UN', new Uint8Array(0), UNDEFINED_LENGTH)),
    ).toEqual({ kind: 'sequence', syntax: IMPLICIT_LE });
    const inner = implicitElement('00091012', text('AB'));
    const item = concat([itemHeader(ItemTag, inner.length), inner]);
    expect(await layoutOf(implicitElement('00091010', item), IMPLICIT_LE)).toEqual({
      kind: 'sequence',
      syntax: IMPLICIT_LE,
    });
    expect(await layoutOf(implicitElement('00091010', new Uint8Array(8)), IMPLICIT_LE)).toEqual({
      kind: 'bytes',
    });
  });

  it('reads undefined-length Pixel Data as encapsulated and refuses it elsewhere (PS3.5 §A.4)', async () => {
    expect(
      await layoutOf(explicitElement('7FE00010', 'OB', new Uint8Array(0), UNDEFINED_LENGTH)),
    ).toEqual({ kind: 'encapsulated' });
    await expect(
      layoutOf(explicitElement('00091010', 'OB', new Uint8Array(0), UNDEFINED_LENGTH)),
    ).rejects.toThrow(/undefined length for OB element 00091010/);
  });
});

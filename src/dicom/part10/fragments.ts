/**
 * Encapsulated pixel data (PS3.5 §A.4): a Basic Offset Table item, fragment items, and a
 * sequence delimitation item. Items are walked by their lengths: fragment bytes are skipped,
 * never searched, so delimiter-like bytes inside a fragment are harmless.
 */
import { DicomParseError } from '../errors.js';
import { ItemTag, SequenceDelimitationTag } from '../tag.js';
import type { ByteReader } from './byte-reader.js';
import type { Fragment } from './layout.js';
import { nextItemHeader, UNDEFINED_LENGTH } from './tokenizer.js';

export interface EncapsulatedValue {
  offset: number;
  length: number;
  basicOffsetTable: number[];
  fragments: Fragment[];
}

export interface FragmentWalkOptions {
  /** Bytes the value must not run past (the parent item's end), if any. */
  limit: number | undefined;
  /** Counts bytes kept in memory; throws when over the cap. */
  charge: (bytes: number, at: number) => void;
  warn: (message: string) => void;
}

/** Reads the items of encapsulated pixel data `tag`, the reader positioned at the first item. */
export async function readEncapsulated(
  reader: ByteReader,
  tag: string,
  { limit, charge, warn }: FragmentWalkOptions,
): Promise<EncapsulatedValue> {
  const offset = reader.position;
  let basicOffsetTable: number[] | undefined;
  const fragments: Fragment[] = [];
  for (;;) {
    const at = reader.position;
    // PS3.5 §A.4: encapsulated syntaxes are little endian.
    const { tag: itemTag, length } = await nextItemHeader(
      reader,
      true,
      limit,
      `encapsulated ${tag}`,
    );
    if (itemTag === SequenceDelimitationTag) {
      if (length !== 0)
        warn(`sequence delimitation item of ${tag} with non-zero length at byte ${at}`);
      break;
    }
    if (itemTag !== ItemTag) {
      throw new DicomParseError(`expected an item in encapsulated ${tag} at byte ${at}`, at);
    }
    if (length === UNDEFINED_LENGTH) {
      throw new DicomParseError(
        `item of undefined length in encapsulated ${tag} at byte ${at}`,
        at,
      );
    }
    if (limit !== undefined && reader.position + length > limit) {
      throw new DicomParseError(
        `item of encapsulated ${tag} runs past the end of its parent at byte ${at}`,
        at,
      );
    }
    if (basicOffsetTable === undefined) {
      basicOffsetTable = await readOffsetTable(reader, tag, length, at, charge);
      continue;
    }
    charge(16, at);
    const fragment: Fragment = { offset: reader.position, length };
    if (length >= 2) {
      if (reader.available < 2 && !(await reader.ensure(2))) {
        throw new DicomParseError(`truncated fragment of ${tag} at byte ${at}`, at);
      }
      fragment.startBytes = reader.peekUint16(0, false);
    }
    fragments.push(fragment);
    if ((await reader.skip(length)) < length) {
      throw new DicomParseError(`truncated fragment of ${tag} at byte ${at}`, at);
    }
  }
  if (basicOffsetTable === undefined) {
    throw new DicomParseError(
      `encapsulated ${tag} has no Basic Offset Table item at byte ${offset}`,
      offset,
    );
  }
  return { offset, length: reader.position - offset, basicOffsetTable, fragments };
}

async function readOffsetTable(
  reader: ByteReader,
  tag: string,
  length: number,
  at: number,
  charge: (bytes: number, at: number) => void,
): Promise<number[]> {
  if (length % 4 !== 0) {
    throw new DicomParseError(
      `Basic Offset Table of ${tag} has a length not a multiple of 4 at byte ${at}`,
      at,
    );
  }
  charge(length * 2, at);
  if (reader.available < length && !(await reader.ensure(length))) {
    throw new DicomParseError(`truncated Basic Offset Table of ${tag} at byte ${at}`, at);
  }
  const table: number[] = new Array<number>(length / 4);
  for (let i = 0; i < table.length; i++) table[i] = reader.uint32(true);
  return table;
}

/**
 * The Part 10 element tokenizer: the one place that reads PS3.5 element and item headers and
 * decides how a value is laid out. The scanner (dataset-parser.ts, sequence.ts, fragments.ts)
 * and the transcoder (transcode.ts) both walk a dataset with it, so they agree on:
 * - explicit or implicit VR, little or big endian, 16- or 32-bit lengths by VR (PS3.5 §7.1);
 * - VR validation: two uppercase letters, an unknown VR read as UN (PS3.5 §6.2);
 * - UN re-typing: a UN of a standard tag takes its dictionary VR, its value read as Implicit
 *   VR Little Endian (PS3.5 §6.2.2);
 * - which values hold items: sequences, undefined-length UN, implicit-VR unknown elements that
 *   start with an item tag, and encapsulated Pixel Data (PS3.5 §7.5, §A.4).
 *
 * Callers keep their own rules about where a dataset ends and what they do with values.
 */
import { DicomParseError } from '../errors.js';
import {
  implicitVrOf,
  isPrivateTag,
  ItemTag,
  PixelDataTag,
  tagGroup,
  tagOf,
  type Tag,
} from '../tag.js';
import { hasLongLength, isKnownVr } from '../vr.js';
import type { ByteReader } from './byte-reader.js';

export interface Syntax {
  explicitVr: boolean;
  littleEndian: boolean;
}

/** PS3.5 §6.2.2 / §A.1: UN of undefined length and unknown implicit sequences are Implicit VR LE. */
export const IMPLICIT_LE: Syntax = { explicitVr: false, littleEndian: true };

/** PS3.10 §7.1: the file meta is always Explicit VR Little Endian (so is PS3.5 §A.2). */
export const EXPLICIT_LE: Syntax = { explicitVr: true, littleEndian: true };

/** PS3.5 §7.1.1: the length that means "undefined" (delimited). */
export const UNDEFINED_LENGTH = 0xffffffff;

/** An element header as read, VR validated and UN re-typed. */
export interface ElementHeader {
  kind: 'element';
  tag: Tag;
  /** The VR the value is read with: explicit, from the dictionary, or re-typed from UN. */
  vr: string;
  /** Value length; UNDEFINED_LENGTH when delimited. */
  length: number;
  /** How the value is encoded: the dataset's syntax, or Implicit VR LE for a re-typed UN. */
  valueSyntax: Syntax;
  /** Absolute position of the header's first byte. */
  start: number;
}

/** A group FFFE header (item or delimiter) met where an element or item was expected. */
export interface ItemHeader {
  kind: 'item';
  /** ItemTag, ItemDelimitationTag, SequenceDelimitationTag, or whatever else was there. */
  tag: Tag;
  length: number;
  start: number;
}

export interface TokenizerContext {
  /** PS3.5 §A.1 c): resolves US/SS dictionary VRs in Implicit VR. */
  pixelRepresentation: number | undefined;
  warn: (message: string) => void;
}

/** PS3.5 §7.5: items and delimiters are the only elements of group FFFE. */
const ITEM_GROUP = tagGroup(ItemTag);

const isUpperLetter = (c: number): boolean => c >= 0x41 && c <= 0x5a;

/** PS3.5 §6.2: a VR is two uppercase letters; anything else is not an explicit-VR header. */
export function looksLikeVr(c1: number, c2: number): boolean {
  return isUpperLetter(c1) && isUpperLetter(c2);
}

/** Throws a truncation error unless `n` bytes are (or become) available. */
export async function ensureOrThrow(
  r: ByteReader,
  n: number,
  what: string,
  at: number,
): Promise<void> {
  if (r.available < n && !(await r.ensure(n))) {
    throw new DicomParseError(`truncated ${what} at byte ${at}`, at);
  }
}

/** Bytes of the longest header: explicit VR with a 32-bit length (PS3.5 §7.1.2). */
const LONGEST_HEADER = 12;

/**
 * Buffers the next header: true when at least 8 bytes (the shortest header) are available.
 * Callers skip the await when `r.available >= 12`.
 */
export async function ensureHeader(r: ByteReader): Promise<boolean> {
  if (r.available < LONGEST_HEADER) await r.ensure(LONGEST_HEADER);
  return r.available >= 8;
}

/**
 * Reads the header at the reader's position, synchronously (after `ensureHeader`): an element,
 * or a group FFFE item/delimiter header, which the caller accepts or refuses.
 */
export function readElementHeader(
  r: ByteReader,
  syntax: Syntax,
  context: TokenizerContext,
): ElementHeader | ItemHeader {
  const start = r.position;
  const le = syntax.littleEndian;
  const group = r.uint16(le);
  const elementNumber = r.uint16(le);
  const tag = tagOf(group, elementNumber);
  if (group === ITEM_GROUP) return { kind: 'item', tag, length: r.uint32(le), start };
  let vr: string;
  let length: number;
  if (syntax.explicitVr) {
    const c1 = r.uint8();
    const c2 = r.uint8();
    if (!looksLikeVr(c1, c2)) {
      throw new DicomParseError(`invalid VR of ${tag} at byte ${start}`, start);
    }
    vr = String.fromCharCode(c1, c2);
    if (!isKnownVr(vr)) {
      // PS3.5 §6.2: VRs added later all use the 32-bit length form.
      context.warn(`unknown VR of ${tag} at byte ${start} read as UN`);
      vr = 'UN';
    }
    if (hasLongLength(vr)) {
      r.uint16(le); // reserved
      if (r.available < 4) {
        throw new DicomParseError(`truncated element header at byte ${start}`, start);
      }
      length = r.uint32(le);
    } else {
      length = r.uint16(le);
    }
  } else {
    length = r.uint32(le);
    vr = implicitVrOf(tag, context.pixelRepresentation);
  }
  // PS3.5 §6.2.2: a UN value is encoded as in Implicit VR Little Endian; for a standard
  // tag the dictionary gives the real VR (files converted from implicit VR carry UN).
  let valueSyntax = syntax;
  if (vr === 'UN' && syntax.explicitVr && le && !isPrivateTag(tag)) {
    const known = implicitVrOf(tag, context.pixelRepresentation);
    if (known !== 'UN') {
      context.warn('UN elements of standard tags decoded with their dictionary VR');
      vr = known;
      valueSyntax = IMPLICIT_LE;
    }
  }
  return { kind: 'element', tag, vr, length, valueSyntax, start };
}

/**
 * Reads the next item or delimiter header of `what` (a sequence or encapsulated value) that
 * may not run past `limit`, the nearest enclosing defined length.
 *
 * @throws DicomParseError when the header would cross `limit` or the stream ends first.
 */
export async function nextItemHeader(
  r: ByteReader,
  littleEndian: boolean,
  limit: number | undefined,
  what: string,
): Promise<ItemHeader> {
  const at = r.position;
  if (limit !== undefined && at + 8 > limit) {
    throw new DicomParseError(`${what} runs past the end of its parent at byte ${at}`, at);
  }
  await ensureOrThrow(r, 8, what, at);
  return readItemHeader(r, littleEndian);
}

/** Reads an item or delimiter header inside a sequence or encapsulated value (8 bytes available). */
export function readItemHeader(r: ByteReader, littleEndian: boolean): ItemHeader {
  const start = r.position;
  const group = r.uint16(littleEndian);
  const elementNumber = r.uint16(littleEndian);
  const length = r.uint32(littleEndian);
  return { kind: 'item', tag: tagOf(group, elementNumber), length, start };
}

/** How a value is laid out after its header. */
export type ValueLayout =
  /** Items follow, encoded in `syntax` (PS3.5 §7.5). */
  | { kind: 'sequence'; syntax: Syntax }
  /** A Basic Offset Table item, fragment items and a delimiter follow (PS3.5 §A.4). */
  | { kind: 'encapsulated' }
  /** `length` value bytes follow. */
  | { kind: 'bytes' };

/**
 * True when the value may hold items, so `valueLayoutOf` has to be asked; false for plain
 * bytes, decided without reading (keeps the common case synchronous).
 */
export function mayHoldItems(h: ElementHeader, syntax: Syntax): boolean {
  return (
    h.vr === 'SQ' ||
    h.length === UNDEFINED_LENGTH ||
    (h.vr === 'UN' && !syntax.explicitVr && h.length >= 8)
  );
}

/**
 * The layout of the value of `h`, read in a dataset of `syntax` (the reader at the value).
 * PS3.5 §7.1.2: only SQ, UN and encapsulated Pixel Data may have an undefined length.
 *
 * @throws DicomParseError for an undefined length on any other element.
 */
export async function valueLayoutOf(
  r: ByteReader,
  h: ElementHeader,
  syntax: Syntax,
): Promise<ValueLayout> {
  if (h.vr === 'SQ') return { kind: 'sequence', syntax: h.valueSyntax };
  if (h.length === UNDEFINED_LENGTH) {
    if (h.tag === PixelDataTag) return { kind: 'encapsulated' };
    if (h.vr === 'UN') return { kind: 'sequence', syntax: IMPLICIT_LE };
    throw new DicomParseError(
      `undefined length for ${h.vr} element ${h.tag} at byte ${h.start}`,
      h.start,
    );
  }
  if (mayHoldItems(h, syntax)) {
    // An unknown implicit-VR element whose value starts with an item tag is a sequence.
    await ensureOrThrow(r, 4, `value of ${h.tag}`, h.start);
    if (tagOf(r.peekUint16(0, true), r.peekUint16(2, true)) === ItemTag) {
      return { kind: 'sequence', syntax: IMPLICIT_LE };
    }
  }
  return { kind: 'bytes' };
}

/**
 * Streaming rewrite of a Part 10 instance into Explicit VR Little Endian (PS3.5 §A.2), the
 * default transfer syntax of `application/dicom` on the web (PS3.18 8.7.3.5.2: Implicit VR LE
 * and Explicit VR BE are not used in web services). Sources: Implicit VR LE (VRs from the
 * dictionary, PS3.5 §A.1), Explicit VR BE (values byte-swapped by VR, PS3.5 §7.3), Deflated
 * Explicit VR LE (inflated, PS3.5 §A.5) and any Explicit VR LE syntax (encapsulated ones too,
 * used with `pixelData` to put decoded native frames in place of the fragments).
 *
 * One pass, bounded memory: values are copied chunk by chunk, never held whole. Because element
 * headers change size between syntaxes, every sequence and item is written with undefined length
 * and delimiters (PS3.5 §7.5.1), and dataset group lengths (gggg,0000, retired) are dropped. A
 * new File Meta group is written with the new TransferSyntaxUID and a correct group length.
 *
 * Headers are read by the tokenizer the scanner uses (tokenizer.ts), so both agree on VRs: an
 * unknown VR is written as UN, a UN of a standard tag with its dictionary VR, and a UN or
 * implicit private element that holds items as an SQ.
 */
import { DicomParseError } from '../errors.js';
import { findTransferSyntax } from '../transfer-syntax.js';
import {
  isGroupLengthTag,
  ItemDelimitationTag,
  ItemTag,
  PixelDataTag,
  PixelRepresentationTag,
  SequenceDelimitationTag,
  TransferSyntaxUidTag,
  type Tag,
} from '../tag.js';
import { TransferSyntax } from '../uid.js';
import { hasLongLength } from '../vr.js';
import { ByteReader } from './byte-reader.js';
import {
  FLUSH_BYTES,
  Out,
  writeElement,
  writeHeader,
  writeItemHeader,
  writeMeta,
  type MetaElement,
} from './element-writer.js';
import { inflateChunks } from './inflate.js';
import {
  ensureHeader,
  ensureOrThrow,
  EXPLICIT_LE,
  readElementHeader,
  readItemHeader,
  UNDEFINED_LENGTH as UNDEFINED,
  valueLayoutOf,
  type ElementHeader,
  type Syntax,
  type TokenizerContext,
} from './tokenizer.js';

/** A top-level element to write instead of (or in addition to) the source's. */
export interface ReplacementElement {
  vr: string;
  /** Little-endian value bytes, already padded to even length. */
  value: Uint8Array;
}

export interface NativePixelDataReplacement {
  vr: 'OB' | 'OW';
  /** Total value length in bytes (even). */
  length: number;
  /** The value, in order; exactly `length` bytes. */
  chunks: () => AsyncIterable<Uint8Array>;
}

export interface TranscodeOptions {
  /** Top-level elements to replace or insert (in tag order); `null` removes the element. */
  replace?: ReadonlyMap<Tag, ReplacementElement | null>;
  /** Replaces top-level Pixel Data (native or encapsulated) with native bytes. */
  pixelData?: NativePixelDataReplacement;
}

/** Transfer syntaxes `transcodeToExplicitLittle` reads. */
export function canTranscodeToExplicitLittle(transferSyntaxUid: string): boolean {
  const info = findTransferSyntax(transferSyntaxUid);
  if (!info) return false;
  if (info.uid === TransferSyntax.ImplicitVRLittleEndian) return true;
  if (info.uid === TransferSyntax.ExplicitVRBigEndian) return true;
  // Explicit LE syntaxes; only the dataset-level deflate of 1.2.840.10008.1.2.1.99 is undone.
  return (
    info.explicitVr &&
    info.littleEndian &&
    (!info.deflated || info.uid === TransferSyntax.DeflatedExplicitVRLittleEndian)
  );
}

/**
 * The instance in Explicit VR Little Endian, as chunks. `source` is the whole Part 10 file.
 *
 * @throws DicomParseError on truncated or inconsistent input (offsets in the message).
 */
export async function* transcodeToExplicitLittle(
  source: AsyncIterable<Uint8Array>,
  options: TranscodeOptions = {},
): AsyncGenerator<Uint8Array> {
  const reader = new ByteReader(source);
  if (!(await reader.ensure(132)))
    throw new DicomParseError('file shorter than a Part 10 header', 0);
  reader.readView(128);
  const magic = reader.readView(4);
  if (String.fromCharCode(...magic) !== 'DICM') throw new DicomParseError("no 'DICM' prefix", 128);
  const meta = await readMeta(reader);
  const sourceUid = textOf(meta.get(TransferSyntaxUidTag)?.value);
  const info = findTransferSyntax(sourceUid);
  if (!info || !canTranscodeToExplicitLittle(sourceUid))
    throw new DicomParseError('transfer syntax cannot be transcoded here', 128);
  const out = new Out();
  out.push(new Uint8Array(128));
  out.push(Buffer.from('DICM', 'latin1'));
  out.push(writeMeta(meta, TransferSyntax.ExplicitVRLittleEndian));
  let dataset = reader;
  if (info.deflated) dataset = await inflated(reader);
  const state: State = {
    reader: dataset,
    syntax: { explicitVr: info.explicitVr, littleEndian: info.littleEndian },
    out,
    pixelRepresentation: undefined,
    options,
    pending: [...(options.replace ?? new Map<Tag, ReplacementElement | null>()).entries()].sort(
      ([a], [b]) => (a < b ? -1 : a > b ? 1 : 0),
    ),
  };
  yield* copyDataset(state, undefined, true);
  for (const [tag, element] of state.pending)
    if (element) writeElement(out, tag, element.vr, element.value);
  if (out.size > 0) yield out.take();
}

/** The transcoder keeps no warnings: the scan at store time reported them. */
const quiet = (): void => undefined;

async function readMeta(reader: ByteReader): Promise<Map<Tag, MetaElement>> {
  const meta = new Map<Tag, MetaElement>();
  const context: TokenizerContext = { pixelRepresentation: undefined, warn: quiet };
  for (;;) {
    if (reader.available < 12 && !(await ensureHeader(reader))) break;
    if (reader.peekUint16(0, true) !== 0x0002) break;
    const header = readElementHeader(reader, EXPLICIT_LE, context);
    if (header.kind === 'item' || header.length === UNDEFINED)
      throw new DicomParseError(`unexpected ${header.tag} in the file meta`, header.start);
    await ensureOrThrow(reader, header.length, 'file meta', header.start);
    const value = reader.take(header.length);
    if (!isGroupLengthTag(header.tag)) meta.set(header.tag, { vr: header.vr, value });
  }
  return meta;
}

function textOf(value: Uint8Array | undefined): string {
  return value
    ? Buffer.from(value)
        .toString('latin1')
        .replace(/[\0 ]+$/, '')
    : '';
}

async function inflated(reader: ByteReader): Promise<ByteReader> {
  const start = reader.position;
  let zlibWrapped = false;
  if (await reader.ensure(2)) {
    const cmf = reader.peekUint8(0);
    const flg = reader.peekUint8(1);
    zlibWrapped = (cmf & 0x0f) === 8 && cmf >> 4 <= 7 && ((cmf << 8) | flg) % 31 === 0;
  }
  return new ByteReader(inflateChunks(reader.rest(), zlibWrapped), start);
}

interface State {
  reader: ByteReader;
  /** The syntax of the dataset being copied (Implicit VR LE inside UN sequences). */
  syntax: Syntax;
  out: Out;
  pixelRepresentation: number | undefined;
  options: TranscodeOptions;
  /** Replacements not yet written, by ascending tag (top level only). */
  pending: [Tag, ReplacementElement | null][];
}

async function need(reader: ByteReader, n: number, what: string): Promise<void> {
  await ensureOrThrow(reader, n, what, reader.position);
}

/**
 * Copies elements until `end` (absolute position) or, when undefined, until the item
 * delimiter of an undefined-length item (consumed) or, at the top level, the end of the stream.
 */
async function* copyDataset(
  state: State,
  end: number | undefined,
  top: boolean,
): AsyncGenerator<Uint8Array> {
  const { reader, out } = state;
  const syntax = state.syntax;
  const delimited = end === undefined && !top;
  const context: TokenizerContext = {
    pixelRepresentation: state.pixelRepresentation,
    warn: quiet,
  };
  for (;;) {
    if (end !== undefined && reader.position >= end) return;
    if (reader.available < 12 && !(await ensureHeader(reader))) {
      if (reader.available === 0 && end === undefined && top) return;
      throw new DicomParseError(
        `truncated element header at byte ${reader.position}`,
        reader.position,
      );
    }
    context.pixelRepresentation = state.pixelRepresentation;
    const header = readElementHeader(reader, syntax, context);
    if (header.kind === 'item') {
      if (header.tag === ItemDelimitationTag && delimited) return;
      throw new DicomParseError(`unexpected ${header.tag} in a dataset`, header.start);
    }
    const { tag, length } = header;

    let emit = true;
    if (top) {
      while (state.pending.length > 0 && (state.pending[0]?.[0] ?? '') < tag) {
        const [pendingTag, replacement] = state.pending.shift() as [Tag, ReplacementElement | null];
        if (replacement) writeElement(out, pendingTag, replacement.vr, replacement.value);
      }
      if (state.pending[0]?.[0] === tag) {
        const [, replacement] = state.pending.shift() as [Tag, ReplacementElement | null];
        if (replacement) writeElement(out, tag, replacement.vr, replacement.value);
        emit = false;
      } else if (tag === PixelDataTag && state.options.pixelData) {
        const pixels = state.options.pixelData;
        writeHeader(out, tag, pixels.vr, pixels.length);
        for await (const chunk of pixels.chunks()) {
          out.push(chunk);
          if (out.size >= FLUSH_BYTES) yield out.take();
        }
        emit = false;
      }
    }
    // Dataset group lengths (retired) would be wrong once headers change size.
    if (isGroupLengthTag(tag)) emit = false;

    const layout = await valueLayoutOf(reader, header, syntax);
    const chunks =
      layout.kind === 'sequence'
        ? copySequence(state, tag, length, layout.syntax, emit)
        : layout.kind === 'encapsulated'
          ? copyEncapsulated(state, header, emit)
          : copyValue(state, header, emit);
    for await (const chunk of chunks) if (emit) yield chunk;
    if (out.size >= FLUSH_BYTES) yield out.take();
  }
}

/**
 * Copies the items of a sequence read in `itemSyntax` as an undefined-length SQ of
 * undefined-length items: an undefined-length or implicit UN (PS3.5 §6.2.2) comes out as SQ.
 */
async function* copySequence(
  state: State,
  tag: Tag,
  length: number,
  itemSyntax: Syntax,
  emit: boolean,
): AsyncGenerator<Uint8Array> {
  const { reader, out } = state;
  const saved = state.syntax;
  state.syntax = itemSyntax;
  if (emit) writeHeader(out, tag, 'SQ', UNDEFINED);
  const end = length === UNDEFINED ? undefined : reader.position + length;
  for (;;) {
    if (end !== undefined && reader.position >= end) break;
    await need(reader, 8, 'item header');
    const item = readItemHeader(reader, itemSyntax.littleEndian);
    if (item.tag === SequenceDelimitationTag && end === undefined) break;
    if (item.tag !== ItemTag)
      throw new DicomParseError(`expected an item in sequence ${tag}`, item.start);
    if (emit) writeItemHeader(out, ItemTag, UNDEFINED);
    const itemEnd = item.length === UNDEFINED ? undefined : reader.position + item.length;
    for await (const chunk of copyDataset(state, itemEnd, false)) if (emit) yield chunk;
    if (emit) writeItemHeader(out, ItemDelimitationTag);
    if (emit && out.size >= FLUSH_BYTES) yield out.take();
  }
  if (emit) writeItemHeader(out, SequenceDelimitationTag);
  state.syntax = saved;
}

/** Encapsulated pixel data (PS3.5 §A.4): items copied as they are (they are little endian). */
async function* copyEncapsulated(
  state: State,
  header: ElementHeader,
  emit: boolean,
): AsyncGenerator<Uint8Array> {
  const { reader, out } = state;
  if (emit) writeHeader(out, header.tag, header.vr, UNDEFINED);
  for (;;) {
    await need(reader, 8, 'fragment header');
    const item = readItemHeader(reader, true);
    if (item.tag === SequenceDelimitationTag) {
      if (emit) writeItemHeader(out, item.tag, item.length);
      return;
    }
    if (item.tag !== ItemTag || item.length === UNDEFINED)
      throw new DicomParseError(`expected a fragment item in ${header.tag}`, item.start);
    if (emit) writeItemHeader(out, item.tag, item.length);
    for await (const chunk of copyBytes(state, 'OB', item.length, emit)) yield chunk;
  }
}

/** Byte size of the words a VR's value is swapped by (PS3.5 §7.3); 1 = bytes, no swap. */
const WORD_SIZE: Record<string, number> = {
  US: 2,
  SS: 2,
  OW: 2,
  AT: 2,
  UL: 4,
  SL: 4,
  FL: 4,
  OF: 4,
  OL: 4,
  FD: 8,
  OD: 8,
  OV: 8,
  SV: 8,
  UV: 8,
};

/** An element's value (Pixel Representation noted for the implicit VRs that follow). */
async function* copyValue(
  state: State,
  header: ElementHeader,
  emit: boolean,
): AsyncGenerator<Uint8Array> {
  const { reader, out } = state;
  const { tag, vr, length } = header;
  // PS3.5 §6.2: a value too long for a 16-bit length cannot keep its VR in Explicit VR: UN.
  const outVr = !hasLongLength(vr) && length > 0xffff ? 'UN' : vr;
  if (emit) writeHeader(out, tag, outVr, length);
  if (tag === PixelRepresentationTag && length >= 2) {
    await need(reader, 2, 'Pixel Representation');
    state.pixelRepresentation = reader.peekUint16(0, header.valueSyntax.littleEndian);
  }
  yield* copyBytes(state, vr, length, emit, header.valueSyntax);
}

/** Copies `length` value bytes, swapped to little endian by the VR's word size when needed. */
async function* copyBytes(
  state: State,
  vr: string,
  length: number,
  emit: boolean,
  valueSyntax: Syntax = state.syntax,
): AsyncGenerator<Uint8Array> {
  const { reader, out } = state;
  const word = valueSyntax.littleEndian ? 1 : (WORD_SIZE[vr] ?? 1);
  if (!emit) {
    if ((await reader.skip(length)) < length)
      throw new DicomParseError('truncated value', reader.position);
    return;
  }
  let remaining = length;
  while (remaining > 0) {
    if (reader.available === 0) await need(reader, 1, 'value');
    let n = Math.min(remaining, reader.available);
    if (word > 1 && remaining >= word) {
      if (n < word) {
        await need(reader, word, 'value');
        n = word;
      } else {
        n -= n % word;
      }
    }
    const view = reader.readView(n);
    remaining -= n;
    if (word > 1) {
      const copy = Buffer.from(view);
      const whole = copy.subarray(0, copy.length - (copy.length % word));
      if (word === 2) whole.swap16();
      else if (word === 4) whole.swap32();
      else whole.swap64();
      out.push(copy);
    } else {
      out.push(view);
    }
    if (out.size >= FLUSH_BYTES) yield out.take();
  }
}

/**
 * The element loop of the scanner: datasets, sequences, items, bulk data (PS3.5 §7).
 * Values kept in memory are decoded to DICOM JSON as they arrive; bulk values are skipped
 * and only their offsets recorded.
 */
import { createCharsetDecoder } from '../charset.js';
import { DicomParseError, HeaderTooLargeError } from '../errors.js';
import type { DicomJsonDataset, DicomJsonElement } from '../json/types.js';
import { isBulkData } from '../json/bulk-data.js';
import { toInlineBinary, toJsonElement } from '../json/values.js';
import {
  DoubleFloatPixelDataTag,
  ExtendedOffsetTableLengthsTag,
  ExtendedOffsetTableTag,
  FloatPixelDataTag,
  isGroupLengthTag,
  ItemDelimitationTag,
  PixelDataTag,
  PixelRepresentationTag,
  SpecificCharacterSetTag,
} from '../tag.js';
import type { ByteReader } from './byte-reader.js';
import { readEncapsulated } from './fragments.js';
import { ELEMENT_OVERHEAD, type ParserOptions, type Scope } from './scope.js';
import { readSequence, type SequenceParser } from './sequence.js';
import {
  ensureHeader,
  mayHoldItems,
  readElementHeader,
  UNDEFINED_LENGTH,
  valueLayoutOf,
  type ElementHeader,
} from './tokenizer.js';
import type { BulkDataRef, PixelDataLayout, Warnings } from './layout.js';

export type { ParserOptions, Scope } from './scope.js';

export class DatasetParser implements SequenceParser {
  readonly bulk: BulkDataRef[] = [];
  pixelData: PixelDataLayout | undefined;
  private extendedOffsets: number[] | undefined;
  private extendedLengths: number[] | undefined;
  private headerBytes = 0;

  constructor(
    public reader: ByteReader,
    private readonly options: ParserOptions,
    private readonly warnings: Warnings,
  ) {}

  /** The Extended Offset Table read at the top level, when both of its elements were present. */
  get extendedOffsetTable(): { offsets: number[]; lengths: number[] } | undefined {
    const offsets = this.extendedOffsets;
    const lengths = this.extendedLengths;
    if (!offsets || !lengths) return undefined;
    if (offsets.length !== lengths.length) {
      this.warnings.add('Extended Offset Table and its lengths differ in size, ignored');
      return undefined;
    }
    return { offsets, lengths };
  }

  charge(bytes: number, at: number): void {
    this.headerBytes += bytes;
    if (this.headerBytes > this.options.maxHeaderBytes) {
      throw new HeaderTooLargeError(this.options.maxHeaderBytes, at);
    }
  }

  private warn = (message: string): void => this.warnings.add(message);

  /** Reads elements until the end of the scope; returns them as DICOM JSON. */
  async readDataset(scope: Scope): Promise<DicomJsonDataset> {
    const r = this.reader;
    const le = scope.syntax.littleEndian;
    const ds: DicomJsonDataset = {};
    let last = '';
    let unsorted = false;
    for (;;) {
      const start = r.position;
      if (scope.end !== undefined && start === scope.end) break;
      if (scope.limit !== undefined && start + 8 > scope.limit) {
        throw new DicomParseError(`item runs past the end of its parent at byte ${start}`, start);
      }
      if (r.available < 12 && !(await ensureHeader(r))) {
        if (r.available === 0 && scope.end === undefined && !scope.delimited) break;
        throw new DicomParseError(`truncated element header at byte ${start}`, start);
      }
      if (scope.onlyGroup !== undefined && r.peekUint16(0, le) !== scope.onlyGroup) break;
      const header = readElementHeader(r, scope.syntax, {
        pixelRepresentation: scope.pixelRepresentation,
        warn: this.warn,
      });
      if (header.kind === 'item') {
        if (header.tag === ItemDelimitationTag && scope.delimited) {
          if (header.length !== 0)
            this.warn(`item delimitation item with non-zero length at byte ${start}`);
          break;
        }
        throw new DicomParseError(
          `unexpected ${header.tag} where an element was expected at byte ${start}`,
          start,
        );
      }
      const { tag, vr, length } = header;

      // The common case (a small value already buffered) stays synchronous: no await per element.
      const element =
        length === UNDEFINED_LENGTH
          ? await this.readUndefinedLength(header, scope)
          : r.available >= length && this.isInline(header, scope)
            ? this.readInline(tag, vr, length, scope, start)
            : await this.readDefinedLength(header, scope);

      if (isGroupLengthTag(tag)) continue; // PS3.18 F.2.2: no group lengths in JSON
      if (tag <= last) {
        unsorted = true;
        this.warn(
          tag === last
            ? `duplicate element ${tag} at byte ${start}`
            : `element ${tag} out of order at byte ${start}`,
        );
      }
      last = tag;
      ds[tag] = element;
    }
    return unsorted ? sortDataset(ds) : ds;
  }

  private async readUndefinedLength(
    header: ElementHeader,
    scope: Scope,
  ): Promise<DicomJsonElement> {
    const { tag, start } = header;
    const layout = await valueLayoutOf(this.reader, header, scope.syntax);
    if (layout.kind === 'sequence')
      return readSequence(this, tag, undefined, scope, layout.syntax, start);
    // valueLayoutOf refuses an undefined length on anything but items and Pixel Data.
    return this.readEncapsulatedPixelData(tag, scope.prefix + tag, scope);
  }

  private async readDefinedLength(header: ElementHeader, scope: Scope): Promise<DicomJsonElement> {
    const { tag, vr, length, start } = header;
    const r = this.reader;
    const offset = r.position;
    if (scope.limit !== undefined && offset + length > scope.limit) {
      throw new DicomParseError(
        `value of ${tag} runs past the end of its item at byte ${start}`,
        start,
      );
    }
    if (length % 2 === 1) this.warn(`odd length of ${tag} at byte ${start} tolerated`);
    const layout = await valueLayoutOf(r, header, scope.syntax);
    if (layout.kind === 'sequence')
      return readSequence(this, tag, length, scope, layout.syntax, start);
    const path = scope.prefix + tag;
    const topLevel = scope.prefix === '';
    if (
      topLevel &&
      (tag === PixelDataTag || tag === FloatPixelDataTag || tag === DoubleFloatPixelDataTag)
    ) {
      if (this.pixelData) this.warn(`second pixel data element ${tag} at byte ${start} ignored`);
      else this.pixelData = { kind: 'native', tag, vr, offset, length };
      return this.skipBulk(tag, vr, length, path, start);
    }
    if (topLevel && (tag === ExtendedOffsetTableTag || tag === ExtendedOffsetTableLengthsTag)) {
      return this.readExtendedOffsetTable(tag, vr, length, path, scope, start);
    }
    if (isBulkData(vr, length, this.options)) return this.skipBulk(tag, vr, length, path, start);
    if (r.available < length && !(await r.ensure(length))) {
      throw new DicomParseError(`truncated value of ${tag} at byte ${start}`, start);
    }
    return this.readInline(tag, vr, length, scope, start);
  }

  /** True for a value decoded in place: no sequence, pixel data, offset table or bulk data. */
  private isInline(header: ElementHeader, scope: Scope): boolean {
    if (mayHoldItems(header, scope.syntax)) return false;
    if (scope.prefix === '' && header.tag.startsWith('7FE000')) return false;
    return !isBulkData(header.vr, header.length, this.options);
  }

  /** Decodes a value that is buffered (`available >= length`), synchronously. */
  private readInline(
    tag: string,
    vr: string,
    length: number,
    scope: Scope,
    start: number,
  ): DicomJsonElement {
    const r = this.reader;
    if (scope.limit !== undefined && r.position + length > scope.limit) {
      throw new DicomParseError(
        `value of ${tag} runs past the end of its item at byte ${start}`,
        start,
      );
    }
    if (length % 2 === 1) this.warn(`odd length of ${tag} at byte ${start} tolerated`);
    this.charge(length + ELEMENT_OVERHEAD, start);
    const element = toJsonElement(vr, r.readView(length), {
      littleEndian: scope.syntax.littleEndian,
      charset: scope.charset,
    });
    if (tag === SpecificCharacterSetTag) {
      const terms = (element.Value ?? []).map((v) => (typeof v === 'string' ? v : ''));
      scope.charset = createCharsetDecoder(terms, this.warn);
    } else if (tag === PixelRepresentationTag && typeof element.Value?.[0] === 'number') {
      scope.pixelRepresentation = element.Value[0];
    }
    return element;
  }

  private async skipBulk(
    tag: string,
    vr: string,
    length: number,
    path: string,
    start: number,
  ): Promise<DicomJsonElement> {
    const offset = this.reader.position;
    this.charge(ELEMENT_OVERHEAD + path.length, start);
    if ((await this.reader.skip(length)) < length) {
      throw new DicomParseError(`truncated value of ${tag} at byte ${start}`, start);
    }
    this.bulk.push({ path, tag, vr, offset, length });
    return { vr, BulkDataURI: this.options.bulkDataUri(path) };
  }

  private async readEncapsulatedPixelData(
    tag: string,
    path: string,
    scope: Scope,
  ): Promise<DicomJsonElement> {
    const value = await readEncapsulated(this.reader, tag, {
      limit: scope.limit,
      charge: (bytes, at) => this.charge(bytes, at),
      warn: this.warn,
    });
    if (scope.prefix === '') {
      if (this.pixelData)
        this.warn(`second pixel data element ${tag} at byte ${value.offset} ignored`);
      else this.pixelData = { kind: 'encapsulated', tag, ...value };
    }
    this.bulk.push({ path, tag, vr: 'OB', offset: value.offset, length: value.length });
    return { vr: 'OB', BulkDataURI: this.options.bulkDataUri(path) };
  }

  /** PS3.3 C.7.6.3.1.8: 64-bit offsets/lengths, kept for the layout; in JSON inline or bulk by size. */
  private async readExtendedOffsetTable(
    tag: string,
    vr: string,
    length: number,
    path: string,
    scope: Scope,
    start: number,
  ): Promise<DicomJsonElement> {
    const r = this.reader;
    const offset = r.position;
    this.charge(length * 2 + ELEMENT_OVERHEAD, start);
    if (r.available < length && !(await r.ensure(length))) {
      throw new DicomParseError(`truncated value of ${tag} at byte ${start}`, start);
    }
    const bytes = r.readView(length);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const values: number[] = [];
    for (let at = 0; at + 8 <= length; at += 8)
      values.push(Number(view.getBigUint64(at, scope.syntax.littleEndian)));
    if (tag === ExtendedOffsetTableTag) this.extendedOffsets = values;
    else this.extendedLengths = values;
    if (isBulkData(vr, length, this.options)) {
      this.bulk.push({ path, tag, vr, offset, length });
      return { vr, BulkDataURI: this.options.bulkDataUri(path) };
    }
    return length === 0
      ? { vr }
      : { vr, InlineBinary: toInlineBinary(bytes, vr, scope.syntax.littleEndian) };
  }
}

function sortDataset(ds: DicomJsonDataset): DicomJsonDataset {
  const sorted: DicomJsonDataset = {};
  for (const tag of Object.keys(ds).sort()) {
    const element = ds[tag];
    if (element) sorted[tag] = element;
  }
  return sorted;
}

/**
 * Sequences of items, PS3.5 §7.5: defined or undefined length, items of defined or undefined
 * length, each read as a nested dataset that may not run past its parent.
 */
import { DicomParseError } from '../errors.js';
import type { DicomJsonDataset, DicomJsonElement } from '../json/types.js';
import type { ByteReader } from './byte-reader.js';
import { ItemTag, SequenceDelimitationTag } from '../tag.js';
import { ELEMENT_OVERHEAD, MAX_DEPTH, type Scope } from './scope.js';
import { nextItemHeader, UNDEFINED_LENGTH, type Syntax } from './tokenizer.js';

/** What a sequence needs from the dataset parser. */
export interface SequenceParser {
  readonly reader: ByteReader;
  charge(bytes: number, at: number): void;
  readDataset(scope: Scope): Promise<DicomJsonDataset>;
}

/** PS3.5 §7.5: items of a sequence of defined or undefined length. */
export async function readSequence(
  parser: SequenceParser,
  tag: string,
  length: number | undefined,
  scope: Scope,
  syntax: Syntax,
  start: number,
): Promise<DicomJsonElement> {
  if (scope.depth >= MAX_DEPTH) {
    throw new DicomParseError(`sequences nested deeper than ${MAX_DEPTH} at byte ${start}`, start);
  }
  const r = parser.reader;
  const le = syntax.littleEndian;
  const end = length === undefined ? undefined : r.position + length;
  const limit = end ?? scope.limit;
  const path = scope.prefix + tag;
  const items: DicomJsonDataset[] = [];
  parser.charge(ELEMENT_OVERHEAD, start);
  for (;;) {
    const at = r.position;
    if (end !== undefined && at === end) break;
    const item = await nextItemHeader(r, le, limit, `sequence ${tag}`);
    const itemLength = item.length;
    if (item.tag === SequenceDelimitationTag && end === undefined) break;
    if (item.tag !== ItemTag) {
      throw new DicomParseError(`expected an item in sequence ${tag} at byte ${at}`, at);
    }
    const itemEnd = itemLength === UNDEFINED_LENGTH ? undefined : r.position + itemLength;
    if (itemEnd !== undefined && limit !== undefined && itemEnd > limit) {
      throw new DicomParseError(`item of ${tag} runs past the end of its parent at byte ${at}`, at);
    }
    parser.charge(ELEMENT_OVERHEAD, at);
    items.push(
      await parser.readDataset({
        syntax,
        end: itemEnd,
        limit: itemEnd ?? limit,
        delimited: itemEnd === undefined,
        prefix: `${path}/${items.length}/`,
        charset: scope.charset,
        pixelRepresentation: scope.pixelRepresentation,
        depth: scope.depth + 1,
      }),
    );
  }
  return items.length > 0 ? { vr: 'SQ', Value: items } : { vr: 'SQ' };
}

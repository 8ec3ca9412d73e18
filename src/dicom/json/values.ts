/**
 * Value Field bytes → DICOM JSON values (PS3.18 F.2.3-F.2.7).
 */
import { defaultCharsetDecoder, type CharsetDecoder } from '../charset.js';
import { tagOf } from '../tag.js';
import {
  bytesWordSize,
  isBytesVr,
  isSingleValuedText,
  numericValueSize,
  usesSpecificCharacterSet,
} from '../vr.js';
import type { DicomJsonElement, DicomJsonValue, PersonNameValue } from './types.js';

export interface ValueContext {
  littleEndian: boolean;
  charset: CharsetDecoder;
}

/** PS3.5 §6.2: VRs whose leading spaces are not significant either. */
const TRIM_BOTH = new Set(['AE', 'AS', 'CS', 'DA', 'DS', 'DT', 'IS', 'LO', 'SH', 'TM', 'UI']);

/** PS3.18 F.2.7: InlineBinary is the base64 of the little-endian value bytes. */
export function toInlineBinary(bytes: Uint8Array, vr: string, littleEndian: boolean): string {
  const word = littleEndian ? 1 : bytesWordSize(vr);
  let le = bytes;
  if (word > 1) {
    le = new Uint8Array(bytes.length);
    const whole = bytes.length - (bytes.length % word);
    for (let i = 0; i < whole; i += word) {
      for (let k = 0; k < word; k++) le[i + k] = bytes[i + word - 1 - k] ?? 0;
    }
    le.set(bytes.subarray(whole), whole);
  }
  return Buffer.from(le.buffer, le.byteOffset, le.byteLength).toString('base64');
}

function readNumbers(bytes: Uint8Array, vr: string, size: number, le: boolean): DicomJsonValue[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = Math.floor(bytes.length / size);
  const out: DicomJsonValue[] = new Array<DicomJsonValue>(count);
  for (let i = 0; i < count; i++) {
    const at = i * size;
    switch (vr) {
      case 'US':
        out[i] = view.getUint16(at, le);
        break;
      case 'SS':
        out[i] = view.getInt16(at, le);
        break;
      case 'UL':
        out[i] = view.getUint32(at, le);
        break;
      case 'SL':
        out[i] = view.getInt32(at, le);
        break;
      case 'FL':
        out[i] = finiteOrNull(view.getFloat32(at, le));
        break;
      case 'FD':
        out[i] = finiteOrNull(view.getFloat64(at, le));
        break;
      case 'AT':
        out[i] = tagOf(view.getUint16(at, le), view.getUint16(at + 2, le));
        break;
      case 'UV':
        out[i] = safeBigInt(view.getBigUint64(at, le));
        break;
      case 'SV':
        out[i] = safeBigInt(view.getBigInt64(at, le));
        break;
    }
  }
  return out;
}

/** JSON has no NaN or Infinity. */
function finiteOrNull(n: number): number | null {
  return Number.isFinite(n) ? n : null;
}

/** PS3.18 F.2.3: SV/UV as a JSON Number when exact, else as a String. */
function safeBigInt(n: bigint): number | string {
  return n <= BigInt(Number.MAX_SAFE_INTEGER) && n >= BigInt(Number.MIN_SAFE_INTEGER)
    ? Number(n)
    : n.toString();
}

/** Significant decimal digits of a DS (leading zeros and trailing fraction zeros are not). */
function significantDigits(s: string): number {
  const mantissa = s.replace(/[eE].*$/, '').replace(/[+-]/, '');
  const [int = '', frac = ''] = mantissa.split('.');
  const digits = (int + frac.replace(/0+$/, '')).replace(/^0+/, '');
  return digits.length;
}

/**
 * PS3.18 F.2.3: DS and IS are JSON Numbers; a String is used where a Number would lose
 * precision (more than 15 significant digits, integers beyond 2^53) or the text is no number.
 */
function numberOrString(vr: 'DS' | 'IS', s: string): number | string {
  if (vr === 'IS') {
    if (!/^[+-]?\d+$/.test(s)) return s;
    const n = Number(s);
    return Number.isSafeInteger(n) ? n : s;
  }
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) return s;
  const n = Number(s);
  return Number.isFinite(n) && significantDigits(s) <= 15 ? n : s;
}

function personName(s: string): PersonNameValue | null {
  const [alphabetic, ideographic, phonetic] = s.split('=').map((g) => g.replace(/[ \0]+$/, ''));
  const pn: PersonNameValue = {};
  if (alphabetic) pn.Alphabetic = alphabetic;
  if (ideographic) pn.Ideographic = ideographic;
  if (phonetic) pn.Phonetic = phonetic;
  return Object.keys(pn).length > 0 ? pn : null;
}

function trimValue(vr: string, s: string): string {
  // NUL is the UI padding (PS3.5 §9.1); some writers also pad other text with it.
  let end = s.length;
  for (let c = s.charCodeAt(end - 1); end > 0 && (c === 0x20 || c === 0); c = s.charCodeAt(end - 1))
    end--;
  let start = 0;
  if (TRIM_BOTH.has(vr)) while (start < end && s.charCodeAt(start) === 0x20) start++;
  return start === 0 && end === s.length ? s : s.slice(start, end);
}

function toValue(vr: string, part: string): DicomJsonValue {
  const s = trimValue(vr, part);
  if (s === '') return null;
  if (vr === 'PN') return personName(s);
  if (vr === 'DS' || vr === 'IS') return numberOrString(vr, s);
  return s;
}

/** Decodes a text value into the JSON "Value" array (undefined when empty). */
export function textValues(
  bytes: Uint8Array,
  vr: string,
  charset: CharsetDecoder,
): DicomJsonValue[] | undefined {
  const decoder = usesSpecificCharacterSet(vr) ? charset : defaultCharsetDecoder;
  // NUL is in no DICOM text repertoire (PS3.5 §6.1) and only pads UI values; writers that leave
  // it inside a value produce text that JSON consumers and the PostgreSQL index cannot hold.
  const text = decoder.decode(bytes, vr === 'PN').replaceAll('\0', '');
  if (isSingleValuedText(vr) || !text.includes('\\')) {
    const value = toValue(vr, text);
    return value === null ? undefined : [value];
  }
  return text.split('\\').map((part) => toValue(vr, part));
}

/**
 * The JSON of an element that is neither a sequence nor bulk data: Value for text and
 * numbers, InlineBinary for byte streams, neither when the value is empty (F.2.5).
 */
export function toJsonElement(
  vr: string,
  bytes: Uint8Array,
  context: ValueContext,
): DicomJsonElement {
  const element: DicomJsonElement = { vr };
  if (bytes.length === 0) return element;
  if (isBytesVr(vr)) {
    element.InlineBinary = toInlineBinary(bytes, vr, context.littleEndian);
    return element;
  }
  const size = numericValueSize(vr);
  if (size !== undefined) {
    const values = readNumbers(bytes, vr, size, context.littleEndian);
    if (values.length > 0) element.Value = values;
    return element;
  }
  const values = textValues(bytes, vr, context.charset);
  if (values) element.Value = values;
  return element;
}

/**
 * Value Representations, PS3.5 §6.2 Table 6.2-1, and the properties the parser and the JSON
 * encoder need.
 */

/** Every VR of PS3.5 Table 6.2-1. */
export const VRS = [
  'AE',
  'AS',
  'AT',
  'CS',
  'DA',
  'DS',
  'DT',
  'FD',
  'FL',
  'IS',
  'LO',
  'LT',
  'OB',
  'OD',
  'OF',
  'OL',
  'OV',
  'OW',
  'PN',
  'SH',
  'SL',
  'SQ',
  'SS',
  'ST',
  'SV',
  'TM',
  'UC',
  'UI',
  'UL',
  'UN',
  'UR',
  'US',
  'UT',
  'UV',
] as const;
export type Vr = (typeof VRS)[number];

const ALL = new Set<string>(VRS);

/** PS3.5 §7.1.2: VRs whose explicit-VR header has 2 reserved bytes and a 32-bit length. */
const LONG_LENGTH = new Set([
  'OB',
  'OD',
  'OF',
  'OL',
  'OV',
  'OW',
  'SQ',
  'SV',
  'UC',
  'UN',
  'UR',
  'UT',
  'UV',
]);

/** Byte-stream VRs (PS3.18 F.2.7: InlineBinary in JSON). */
const BYTES = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'UN']);

/** Binary numeric VRs and their value size in bytes (AT is a pair of 16-bit numbers). */
const NUMERIC_SIZE: Readonly<Record<string, number>> = {
  US: 2,
  SS: 2,
  UL: 4,
  SL: 4,
  FL: 4,
  FD: 8,
  AT: 4,
  UV: 8,
  SV: 8,
};

/** Word size for byte swapping of OW/OF/OL/OD/OV in big-endian syntaxes (PS3.5 §7.3). */
const BYTES_WORD_SIZE: Readonly<Record<string, number>> = {
  OB: 1,
  UN: 1,
  OW: 2,
  OF: 4,
  OL: 4,
  OD: 8,
  OV: 8,
};

/** PS3.5 §6.2: VRs whose value is a single value: backslash is not a delimiter. */
const SINGLE_VALUED_TEXT = new Set(['LT', 'ST', 'UT', 'UR']);

/** PS3.5 §6.1.2.3: VRs whose text is encoded with Specific Character Set (0008,0005). */
const CHARSET_TEXT = new Set(['SH', 'LO', 'ST', 'LT', 'UC', 'UT', 'PN']);

export function isKnownVr(vr: string): vr is Vr {
  return ALL.has(vr);
}

/** True when the explicit-VR element header uses a 4-byte length (PS3.5 Table 7.1-1). */
export function hasLongLength(vr: string): boolean {
  return LONG_LENGTH.has(vr);
}

/** OB OD OF OL OV OW UN. */
export function isBytesVr(vr: string): boolean {
  return BYTES.has(vr);
}

/** US SS UL SL FL FD AT UV SV. */
export function isNumericBinaryVr(vr: string): boolean {
  return NUMERIC_SIZE[vr] !== undefined;
}

/** Size of one value of a numeric binary VR, undefined for other VRs. */
export function numericValueSize(vr: string): number | undefined {
  return NUMERIC_SIZE[vr];
}

/** Word size to swap when reading a byte-stream VR in big endian (1 = no swap). */
export function bytesWordSize(vr: string): number {
  return BYTES_WORD_SIZE[vr] ?? 1;
}

/**
 * PS3.5 §7.3: the unit a big-endian value is byte-swapped by (1 = no swap). Numbers swap by
 * their size, AT by its two 16-bit halves, byte streams by their word size.
 */
export function swapWordSize(vr: string): number {
  if (vr === 'AT') return 2;
  return NUMERIC_SIZE[vr] ?? bytesWordSize(vr);
}

/** Binary VRs: bytes, numbers and SQ are not character data. */
export function isBinaryVr(vr: string): boolean {
  return BYTES.has(vr) || NUMERIC_SIZE[vr] !== undefined || vr === 'SQ';
}

/** Character-string VRs. */
export function isTextVr(vr: string): boolean {
  return ALL.has(vr) && !isBinaryVr(vr);
}

/** LT ST UT UR: backslash is part of the value, not a separator. */
export function isSingleValuedText(vr: string): boolean {
  return SINGLE_VALUED_TEXT.has(vr);
}

/** SH LO ST LT UC UT PN: decoded with the Specific Character Set; others are default repertoire. */
export function usesSpecificCharacterSet(vr: string): boolean {
  return CHARSET_TEXT.has(vr);
}

/**
 * PS3.5 §6.2: padding to even length is a trailing NUL for UI and OB/UN, a space for other text.
 */
export function paddingByte(vr: string): number {
  return vr === 'UI' || BYTES.has(vr) ? 0x00 : 0x20;
}

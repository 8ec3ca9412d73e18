import { QidoBadParameterError } from './errors.js';

/**
 * Parsing of QIDO-RS match values (PS3.4 C.2.2.2) into normalised bounds the compiler compares
 * as text. Dates, times and date-times are padded to fixed widths so that text order is time
 * order: lower bounds with '0', upper bounds with '9' (a partial value covers its whole span,
 * so `StudyTime=10` is 10:00:00.000000 through 10:59:59.999999).
 */

export interface Bounds {
  from?: string;
  to?: string;
}

const DA = /^\d{8}$/;
const TM = /^(\d{2})(\d{2})?(\d{2})?(?:\.(\d{1,6}))?$/;
/** PS3.5 6.2 DT: YYYY[MM[DD[HH[MM[SS[.F{1,6}]]]]]][&ZZXX]; the offset is ignored (documented). */
const DT = /^(\d{4}(?:\d{2}){0,5})(?:\.(\d{1,6}))?([+-]\d{4})?$/;

/** Width of the normalised forms: DA 8, TM 12 (HHMMSS + 6 fraction digits), DT 20. */
export const TIME_WIDTH = 12;
export const DATETIME_WIDTH = 20;

function checkDate(value: string, parameter: string): string {
  const month = Number(value.slice(4, 6));
  const day = Number(value.slice(6, 8));
  if (!DA.test(value) || month < 1 || month > 12 || day < 1 || day > 31) {
    throw new QidoBadParameterError(parameter, 'expected a date YYYYMMDD or a range of them');
  }
  return value;
}

/** TM value → [lower, upper] normalised (HHMMSS + 6 fraction digits). */
function timeSpan(value: string, parameter: string): [string, string] {
  const m = TM.exec(value);
  if (!m || (m[4] !== undefined && m[3] === undefined)) {
    throw new QidoBadParameterError(parameter, 'expected a time HH[MM[SS[.FFFFFF]]] or a range');
  }
  const hours = Number(m[1]);
  const minutes = m[2] === undefined ? 0 : Number(m[2]);
  const seconds = m[3] === undefined ? 0 : Number(m[3]);
  if (hours > 23 || minutes > 59 || seconds > 60) {
    throw new QidoBadParameterError(parameter, 'time out of range');
  }
  const digits = (m[1] ?? '') + (m[2] ?? '') + (m[3] ?? '');
  const fraction = m[4] ?? '';
  return [
    digits.padEnd(6, '0') + fraction.padEnd(6, '0'),
    digits.padEnd(6, '9') + fraction.padEnd(6, '9'),
  ];
}

/** DT value → [lower, upper] normalised (YYYYMMDDHHMMSS + 6 fraction digits). */
function dateTimeSpan(value: string, parameter: string): [string, string] {
  const m = DT.exec(value);
  if (!m) {
    throw new QidoBadParameterError(
      parameter,
      'expected a date-time YYYYMMDDHHMMSS.FFFFFF or a range',
    );
  }
  const digits = m[1]!;
  const fraction = m[2] ?? '';
  if (fraction !== '' && digits.length !== 14) {
    throw new QidoBadParameterError(parameter, 'a fraction needs seconds');
  }
  return [
    digits.padEnd(14, '0') + fraction.padEnd(6, '0'),
    digits.padEnd(14, '9') + fraction.padEnd(6, '9'),
  ];
}

/** Splits `a-b`, `-b`, `a-` (PS3.4 C.2.2.2.5); a value without '-' is [v, v]. */
function splitRange(
  value: string,
  parameter: string,
  expected: string,
): [string | undefined, string | undefined] {
  const dash = value.indexOf('-', value.startsWith('-') ? 0 : 1);
  if (dash < 0) return [value, value];
  if (value.indexOf('-', dash + 1) >= 0) {
    // DT offsets carry a '-' too: a DT range is split at the '-' that separates two values.
    return splitDateTimeRange(value, parameter, expected);
  }
  const from = value.slice(0, dash);
  const to = value.slice(dash + 1);
  return [from === '' ? undefined : from, to === '' ? undefined : to];
}

function splitDateTimeRange(value: string, parameter: string, expected: string): [string, string] {
  const m = /^(\d[\d.]*(?:[+-]\d{4})?)-(\d[\d.]*(?:[+-]\d{4})?)$/.exec(value);
  if (!m) throw new QidoBadParameterError(parameter, expected);
  return [m[1]!, m[2]!];
}

export function dateBounds(value: string, parameter: string): Bounds {
  const [from, to] = splitRange(value, parameter, 'expected a date YYYYMMDD or a range of them');
  return bounds(
    from === undefined ? undefined : checkDate(from, parameter),
    to === undefined ? undefined : checkDate(to, parameter),
  );
}

export function timeBounds(value: string, parameter: string): Bounds {
  const [from, to] = splitRange(
    value,
    parameter,
    'expected a time HH[MM[SS[.FFFFFF]]] or a range of them',
  );
  return bounds(
    from === undefined ? undefined : timeSpan(from, parameter)[0],
    to === undefined ? undefined : timeSpan(to, parameter)[1],
  );
}

export function dateTimeBounds(value: string, parameter: string): Bounds {
  const [from, to] = splitRange(
    value,
    parameter,
    'expected a date-time YYYYMMDDHHMMSS.FFFFFF or a range of them',
  );
  return bounds(
    from === undefined ? undefined : dateTimeSpan(from, parameter)[0],
    to === undefined ? undefined : dateTimeSpan(to, parameter)[1],
  );
}

function bounds(from: string | undefined, to: string | undefined): Bounds {
  return { ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}) };
}

/** IS/DS/binary numbers: a decimal number (CP-2305: IS/DS matching is ours to define — numeric). */
export function numberValue(value: string, parameter: string): number {
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(value.trim())) {
    throw new QidoBadParameterError(parameter, 'expected a number');
  }
  return Number(value);
}

/**
 * A DICOM wildcard pattern (PS3.4 C.2.2.2.4: `*` any run, `?` one character) as a LIKE pattern
 * with `\` as the escape: `%`, `_` and `\` in the value are literal characters.
 */
export function likePattern(pattern: string): string {
  let out = '';
  for (const ch of pattern) {
    if (ch === '*') out += '%';
    else if (ch === '?') out += '_';
    else if (ch === '%' || ch === '_' || ch === '\\') out += '\\' + ch;
    else out += ch;
  }
  return out;
}

/** Escapes a literal for use inside a LIKE pattern. */
export function likeLiteral(value: string): string {
  return value.replace(/[\\%_]/g, (c) => '\\' + c);
}

export function hasWildcard(value: string): boolean {
  return value.includes('*') || value.includes('?');
}

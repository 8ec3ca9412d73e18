/**
 * A C-FIND identifier (PS3.4 C.4.1.1.3) as the QIDO-RS query it means, so both protocols are
 * answered by one compiler (index/qido/): the matching rules are the same (C.2.2.2) — single
 * value, wildcards `*` `?`, ranges `a-b`, UID lists with `\`, case-insensitive person names —
 * and an empty key is a return key (`includefield`).
 */
import type { Level } from '../../index/qido/attributes.js';

export type QueryLevel = 'PATIENT' | 'STUDY' | 'SERIES' | 'IMAGE';

/** The naturalized identifier the library hands over: keyword → value. */
export type Identifier = Record<string, unknown>;

export interface FindQuery {
  level: QueryLevel;
  /** The QIDO search level (PATIENT is answered from studies, one response per patient). */
  resource: Level;
  /** QIDO parameters: match keys and includefield for return keys. */
  params: [string, string][];
  /** Every key the identifier names, in order: the response carries these (and the level's unique keys). */
  keys: string[];
}

/** Information models (PS3.4 C.6): which levels each allows. */
export const MODEL_LEVELS = {
  patientRoot: ['PATIENT', 'STUDY', 'SERIES', 'IMAGE'],
  studyRoot: ['STUDY', 'SERIES', 'IMAGE'],
} as const;

const RESOURCE: Record<QueryLevel, Level> = {
  PATIENT: 'study',
  STUDY: 'study',
  SERIES: 'series',
  IMAGE: 'instance',
};

/** Keys that steer the query rather than match (PS3.4 C.4.1.1.3.1, PS3.5 6.1.2.5.3). */
const CONTROL_KEYS = new Set(['QueryRetrieveLevel', 'SpecificCharacterSet', '_vrMap']);

export class IdentifierError extends Error {
  override readonly name = 'IdentifierError';
}

/** The identifier's query, or IdentifierError (PS3.4 C.4.1.1.4: A900 Identifier does not match SOP Class). */
export function findQuery(identifier: Identifier, levels: readonly QueryLevel[]): FindQuery {
  const level = text(identifier['QueryRetrieveLevel']).toUpperCase() as QueryLevel;
  if (!levels.includes(level)) {
    throw new IdentifierError('QueryRetrieveLevel missing or not in this information model');
  }
  const params: [string, string][] = [];
  const keys: string[] = [];
  for (const [keyword, raw] of Object.entries(identifier)) {
    if (CONTROL_KEYS.has(keyword) || !/^[A-Za-z][A-Za-z0-9]*$/.test(keyword)) continue;
    keys.push(keyword);
    // Sequence matching over DIMSE is not offered: a sequence is a return key only.
    const value = Array.isArray(raw) && raw.some(isSequenceItem) ? '' : matchValue(raw);
    if (value === '' || value === '*') params.push(['includefield', keyword]);
    else params.push([keyword, value]);
  }
  return { level, resource: RESOURCE[level], params, keys };
}

function isSequenceItem(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !('Alphabetic' in value);
}

/** A value as QIDO writes it: multiple values joined with `\` (UID lists, PS3.4 C.2.2.2.2). */
function matchValue(raw: unknown): string {
  if (raw === undefined || raw === null) return '';
  if (Array.isArray(raw)) return raw.map(matchValue).join('\\').replace(/^\\+$/, '');
  if (typeof raw === 'object') return text((raw as { Alphabetic?: unknown }).Alphabetic);
  return text(raw);
}

/** Trailing padding is not part of a value (PS3.5 6.2). */
function text(raw: unknown): string {
  if (typeof raw === 'number') return String(raw);
  return typeof raw === 'string' ? raw.replace(/[\0 ]+$/, '').trim() : '';
}

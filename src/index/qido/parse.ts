import { isValidUid } from '../../dicom/uid.js';
import { attributeOf, LEVEL_RANK, type Attribute, type Level } from './attributes.js';
import { QidoBadParameterError, QidoUnknownAttributeError } from './errors.js';
import { fuzzyWords } from './fuzzy.js';
import {
  dateBounds,
  dateTimeBounds,
  hasWildcard,
  numberValue,
  timeBounds,
  type Bounds,
} from './values.js';

/** Which search resource (PS3.18 Table 10.6.1-2) and the UIDs its path fixes. */
export interface QidoResource {
  level: Level;
  studyInstanceUid?: string;
  seriesInstanceUid?: string;
}

/** One way a value may match (PS3.4 C.2.2.2). */
export type ValueMatch =
  | { kind: 'literal'; value: string }
  | { kind: 'wildcard'; pattern: string }
  | { kind: 'range'; bounds: Bounds }
  | { kind: 'number'; value: number }
  /** Empty Value Matching (PS3.4 C.2.2.2.7): `""` matches an absent or empty attribute. */
  | { kind: 'empty' }
  /** Fuzzy person-name matching: every word starts some word of the name (index/qido/fuzzy.ts). */
  | { kind: 'fuzzy'; words: string[] };

export interface AttributeCondition {
  kind: 'attribute';
  attribute: Attribute;
  values: ValueMatch[];
  /** 'any': one value matching suffices (lists); 'all': Multiple Value Matching (C.2.2.2.8). */
  combine: 'any' | 'all';
}

export type QidoCondition =
  | AttributeCondition
  /** Sequence matching (PS3.4 C.2.2.2.6): one item must match every sub-key. */
  | { kind: 'sequence'; sequence: Attribute; items: AttributeCondition[] }
  /** StudyDate + StudyTime ranges combined into one date-time range (PS3.4 C.2.2.2.5). */
  | { kind: 'datetime'; date: Attribute; time: Attribute; bounds: Bounds };

export interface QidoQuery {
  resource: QidoResource;
  conditions: QidoCondition[];
  /** Attributes to return beyond the level's defaults (includefield and match keys). */
  include: { all: boolean; tags: string[] };
  limit: number;
  offset: number;
  /** Warning texts the response must carry (PS3.18 8.3.4.2-6). */
  warnings: string[];
  /**
   * Only the studies of these patients (PatientID values) match, at every level; set by the
   * service from the principal's patient context, never from the query string.
   */
  patientIds?: readonly string[] | undefined;
}

export interface ParseOptions {
  defaultLimit: number;
  maxLimit: number;
}

/** PS3.18 8.3.4.2: the exact Warning text for fuzzy matching not performed. */
export const FUZZY_NOT_PERFORMED =
  'The fuzzymatching parameter is not supported. Only literal matching has been performed.';

const FLAGS = new Set([
  'fuzzymatching',
  'emptyvaluematching',
  'multiplevaluematching',
  'includefield',
  'limit',
  'offset',
]);

interface Flags {
  fuzzy: boolean;
  emptyValue: boolean;
  multipleValue: boolean;
}

/**
 * Query parameters → QidoQuery (PS3.18 8.3.4 and 10.6.1). Match keys are attribute IDs: a tag
 * (`00100010`), a keyword (`PatientName`) or a sequence path (`RequestAttributesSequence.
 * ScheduledProcedureStepID`). Parameters that are neither (lower-case names such as `_` cache
 * busters or `accept`) are ignored, as PS3.18 asks of unknown parameters; a name that looks
 * like an attribute ID but is none is a 400. Attributes of a lower level than the resource are
 * ignored (OHIF sends Modality in study searches) — except Modality at the study level, which
 * means ModalitiesInStudy, as every archive treats it.
 */
export function parseQido(
  resource: QidoResource,
  params: Iterable<[string, string]>,
  options: ParseOptions,
): QidoQuery {
  const pairs = [...params].filter(([key]) => key !== '');
  for (const [key, value] of pairs) {
    if (FLAGS.has(key) || /^[A-Z0-9]/.test(key)) assertNoNul(key, value);
  }
  const flags: Flags = {
    fuzzy: booleanFlag(pairs, 'fuzzymatching'),
    emptyValue: booleanFlag(pairs, 'emptyvaluematching'),
    multipleValue: booleanFlag(pairs, 'multiplevaluematching'),
  };
  const query: QidoQuery = {
    resource,
    conditions: [],
    include: { all: false, tags: [] },
    limit: limitOf(pairs, options),
    offset: offsetOf(pairs),
    warnings: [],
  };
  const sequences = new Map<string, Extract<QidoCondition, { kind: 'sequence' }>>();
  let fuzzyMissed = false;
  for (const [key, value] of pairs) {
    if (key === 'includefield') {
      addIncludes(query, value);
      continue;
    }
    if (FLAGS.has(key) || !/^[A-Z0-9]/.test(key)) continue;
    const path = key.split('.');
    if (path.length > 2) {
      throw new QidoBadParameterError(key, 'only one level of sequence matching is supported');
    }
    let top = attributeOf(path[0]!, key);
    if (top.keyword === 'Modality' && resource.level === 'study') {
      top = attributeOf('ModalitiesInStudy');
    }
    if (LEVEL_RANK[top.level] > LEVEL_RANK[resource.level]) continue;
    query.include.tags.push(top.tag);
    if (path.length === 2) {
      if (top.matching !== 'sequence') throw new QidoBadParameterError(key, 'not a sequence');
      const sub = attributeOf(path[1]!, key);
      const condition = attributeCondition(sub, value, key, flags);
      if (!condition) continue;
      if (flags.fuzzy && sub.matching === 'pn') fuzzyMissed = true;
      let sequence = sequences.get(top.tag);
      if (!sequence) {
        sequence = { kind: 'sequence', sequence: top, items: [] };
        sequences.set(top.tag, sequence);
        query.conditions.push(sequence);
      }
      sequence.items.push(condition);
      continue;
    }
    const condition = attributeCondition(top, value, key, flags);
    if (!condition) continue;
    if (flags.fuzzy && top.matching === 'pn' && !top.fuzzyColumn) fuzzyMissed = true;
    query.conditions.push(condition);
  }
  combineStudyDateTime(query);
  if (fuzzyMissed) query.warnings.push(FUZZY_NOT_PERFORMED);
  return query;
}

/**
 * NUL (U+0000) is in no DICOM character repertoire (PS3.5 6.1.2; it only pads UI values, and
 * ingest strips it) and PostgreSQL text cannot hold it (SQLSTATE 22021), so a value with one
 * can match nothing and would fail as a database error: refuse it as the client's mistake.
 * Other control characters are legal in PostgreSQL text and simply match nothing.
 */
function assertNoNul(key: string, value: string): void {
  if (key.includes('\0') || value.includes('\0')) {
    throw new QidoBadParameterError(
      key.replaceAll('\0', '\\0'),
      'holds a NUL character, which no DICOM value contains',
    );
  }
}

function lastValue(pairs: [string, string][], name: string): string | undefined {
  let value: string | undefined;
  for (const [k, v] of pairs) if (k === name) value = v;
  return value;
}

function booleanFlag(pairs: [string, string][], name: string): boolean {
  const values = pairs.filter(([k]) => k === name).map(([, v]) => v.toLowerCase());
  for (const v of values) {
    if (v !== 'true' && v !== 'false' && v !== '') {
      throw new QidoBadParameterError(name, 'expected true or false');
    }
  }
  return values.includes('true');
}

/**
 * PS3.18 8.3.4.4.1: results = min(matches - offset, maxResults, limit). A limit above the
 * configured maximum is therefore not an error: the page holds maxResults matches and the paging
 * Warning tells how many remain. Zero is refused: a page of nothing is never what a client means.
 */
function limitOf(pairs: [string, string][], options: ParseOptions): number {
  const raw = lastValue(pairs, 'limit');
  if (raw === undefined || raw === '') return options.defaultLimit;
  if (!/^\d{1,15}$/.test(raw)) {
    throw new QidoBadParameterError('limit', 'expected a whole number of results');
  }
  const n = Number(raw);
  if (n < 1) throw new QidoBadParameterError('limit', 'must be at least 1');
  return Math.min(n, options.maxLimit);
}

function offsetOf(pairs: [string, string][]): number {
  const raw = lastValue(pairs, 'offset');
  if (raw === undefined || raw === '') return 0;
  if (!/^\d{1,15}$/.test(raw) || Number(raw) > 2 ** 31 - 1) {
    throw new QidoBadParameterError('offset', 'expected a whole number from 0 to 2147483647');
  }
  return Number(raw);
}

/** PS3.18 8.3.4.3: `includefield` is repeatable, takes comma lists, and `all`. */
function addIncludes(query: QidoQuery, value: string): void {
  for (const id of value.split(',').map((s) => s.trim())) {
    if (id === '') continue;
    if (id === 'all') {
      query.include.all = true;
      continue;
    }
    const attribute = attributeOf(id.split('.')[0]!, 'includefield');
    // A lower-level attribute in a higher-level search is not returned (PS3.18 10.6.3.3).
    if (LEVEL_RANK[attribute.level] > LEVEL_RANK[query.resource.level]) continue;
    query.include.tags.push(attribute.tag);
  }
}

/** One match key's value → a condition, or undefined for universal matching (empty or `*`). */
function attributeCondition(
  attribute: Attribute,
  raw: string,
  parameter: string,
  flags: Flags,
): AttributeCondition | undefined {
  if (raw === '' || raw === '*') return undefined;
  const condition = (values: ValueMatch[], combine: 'any' | 'all' = 'any'): AttributeCondition => ({
    kind: 'attribute',
    attribute,
    values,
    combine,
  });
  if (raw === '""' && flags.emptyValue) return condition([{ kind: 'empty' }]);
  const combine = flags.multipleValue ? 'all' : 'any';
  switch (attribute.matching) {
    case 'uid': {
      // PS3.18 8.3.4.1: a list of UIDs, comma separated; OHIF and C-FIND use backslash.
      const uids = raw.split(/[\\,]/).map((u) => u.trim());
      if (!uids.every(isValidUid)) {
        throw new QidoBadParameterError(parameter, 'expected a UID or a list of UIDs');
      }
      return condition(uids.map((value) => ({ kind: 'literal', value })));
    }
    case 'text':
    case 'pn':
    case 'modalities': {
      const values = raw.split('\\').map((v): ValueMatch => {
        if (flags.fuzzy && attribute.fuzzyColumn) return { kind: 'fuzzy', words: fuzzyWords(v) };
        return hasWildcard(v) ? { kind: 'wildcard', pattern: v } : { kind: 'literal', value: v };
      });
      return condition(values, combine);
    }
    case 'date':
      return condition([{ kind: 'range', bounds: dateBounds(raw, parameter) }]);
    case 'time':
      return condition([{ kind: 'range', bounds: timeBounds(raw, parameter) }]);
    case 'datetime':
      return condition([{ kind: 'range', bounds: dateTimeBounds(raw, parameter) }]);
    case 'number':
      return condition(
        raw.split('\\').map((v) => ({ kind: 'number', value: numberValue(v, parameter) })),
        combine,
      );
    case 'sequence':
      throw new QidoBadParameterError(
        parameter,
        'a sequence is matched through its items: Sequence.Attribute=value',
      );
    case 'none':
      throw new QidoUnknownAttributeError(parameter);
  }
}

/**
 * PS3.4 C.2.2.2.5 (combined date-time range): StudyDate=a-b with StudyTime=c-d means from date a
 * time c to date b time d, not "c to d on each day" — what a user picking two instants means.
 * Only when both are ranges; a time range alone is still a time-of-day range.
 */
function combineStudyDateTime(query: QidoQuery): void {
  const find = (keyword: string) =>
    query.conditions.findIndex(
      (c) =>
        c.kind === 'attribute' &&
        c.attribute.keyword === keyword &&
        c.values.length === 1 &&
        c.values[0]!.kind === 'range',
    );
  const d = find('StudyDate');
  const t = find('StudyTime');
  if (d < 0 || t < 0) return;
  const date = query.conditions[d] as AttributeCondition;
  const time = query.conditions[t] as AttributeCondition;
  const dateBounds = (date.values[0] as { bounds: Bounds }).bounds;
  const timeBounds = (time.values[0] as { bounds: Bounds }).bounds;
  if (dateBounds.from === dateBounds.to) return; // one day: the two ranges are already exact
  const from =
    dateBounds.from === undefined
      ? undefined
      : dateBounds.from + (timeBounds.from ?? '000000000000');
  const to =
    dateBounds.to === undefined ? undefined : dateBounds.to + (timeBounds.to ?? '999999999999');
  query.conditions = query.conditions.filter((_, i) => i !== d && i !== t);
  query.conditions.push({
    kind: 'datetime',
    date: date.attribute,
    time: time.attribute,
    bounds: { ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}) },
  });
}

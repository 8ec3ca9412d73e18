import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import {
  dictionaryVr,
  isPrivateTag,
  isTag,
  keywordOf,
  tagOfKeyword,
  type Tag,
} from '../../dicom/tag.js';
import { SERIES_LEVEL_TAGS, STUDY_LEVEL_TAGS } from '../levels.js';
import { instances, series, studies } from '../schema.js';
import { QidoUnknownAttributeError } from './errors.js';

/**
 * The QIDO-RS attribute table: which level an attribute lives at, how it is matched, and where
 * its value is in the index. The required matching keys of PS3.18 Table 10.6.1-5 and the common
 * extras have a column (indexed where the query mix needs it); every other attribute of a level
 * is matched in that level's DICOM JSON (`studies.attributes`, `series.attributes`,
 * `instances.metadata`), so any standard attribute can be searched without a schema change.
 */

export type Level = 'study' | 'series' | 'instance';

export const LEVEL_RANK: Record<Level, number> = { study: 0, series: 1, instance: 2 };

/**
 * How values are compared (PS3.4 C.2.2.2):
 * - uid: single value or list of UIDs (C.2.2.2.2), no wildcards;
 * - text: literal, case-sensitive (C.2.2.2.1), wildcards `*` `?` (C.2.2.2.4);
 * - pn: like text but case-insensitive (C.2.2.2.1 allows it for PN), and fuzzy when asked;
 * - date / time / datetime: single value or range (C.2.2.2.5);
 * - number: numeric equality (IS/DS per CP-2305 is implementation-defined: we compare numbers);
 * - modalities: ModalitiesInStudy, derived from the study's series.
 */
export type Matching =
  'uid' | 'text' | 'pn' | 'date' | 'time' | 'datetime' | 'number' | 'modalities';

export interface Attribute {
  tag: Tag;
  keyword: string;
  vr: string;
  level: Level;
  matching: Matching | 'sequence' | 'none';
  /** A column of the level's table holding the first value; absent → match in the DICOM JSON. */
  column?: AnyPgColumn;
  /** The folded column for fuzzy person-name matching (index/qido/fuzzy.ts). */
  fuzzyColumn?: AnyPgColumn;
}

function indexed(
  keyword: string,
  level: Level,
  matching: Matching,
  column?: AnyPgColumn,
  fuzzyColumn?: AnyPgColumn,
): Attribute {
  const tag = tagOfKeyword(keyword);
  if (!tag) throw new Error(`dictionary lacks ${keyword}`);
  const vr = normaliseVr(dictionaryVr(tag) ?? 'UN');
  return {
    tag,
    keyword,
    vr,
    level,
    matching,
    ...(column ? { column } : {}),
    ...(fuzzyColumn ? { fuzzyColumn } : {}),
  };
}

/** The attributes with their own column: PS3.18 Table 10.6.1-5 plus the common extras. */
const INDEXED: readonly Attribute[] = [
  indexed('StudyDate', 'study', 'date', studies.studyDate),
  indexed('StudyTime', 'study', 'time', studies.studyTime),
  indexed('AccessionNumber', 'study', 'text', studies.accessionNumber),
  indexed('ModalitiesInStudy', 'study', 'modalities'),
  indexed(
    'ReferringPhysicianName',
    'study',
    'pn',
    studies.referringPhysicianName,
    studies.referringPhysicianNameFuzzy,
  ),
  indexed('PatientName', 'study', 'pn', studies.patientName, studies.patientNameFuzzy),
  indexed('PatientID', 'study', 'text', studies.patientId),
  indexed('StudyInstanceUID', 'study', 'uid', studies.studyInstanceUid),
  indexed('StudyID', 'study', 'text', studies.studyId),
  indexed('PatientBirthDate', 'study', 'date', studies.patientBirthDate),
  indexed('PatientSex', 'study', 'text', studies.patientSex),
  indexed('StudyDescription', 'study', 'text', studies.studyDescription),
  indexed('Modality', 'series', 'text', series.modality),
  indexed('SeriesInstanceUID', 'series', 'uid', series.seriesInstanceUid),
  indexed('SeriesNumber', 'series', 'number', series.seriesNumber),
  indexed('SeriesDescription', 'series', 'text', series.seriesDescription),
  indexed('BodyPartExamined', 'series', 'text', series.bodyPartExamined),
  indexed('SeriesDate', 'series', 'date', series.seriesDate),
  indexed('InstitutionName', 'series', 'text', series.institutionName),
  indexed(
    'PerformedProcedureStepStartDate',
    'series',
    'date',
    series.performedProcedureStepStartDate,
  ),
  indexed(
    'PerformedProcedureStepStartTime',
    'series',
    'time',
    series.performedProcedureStepStartTime,
  ),
  indexed('SOPClassUID', 'instance', 'uid', instances.sopClassUid),
  indexed('SOPInstanceUID', 'instance', 'uid', instances.sopInstanceUid),
  indexed('InstanceNumber', 'instance', 'number', instances.instanceNumber),
];

const BY_TAG = new Map(INDEXED.map((a) => [a.tag, a]));

/**
 * Computed return attributes (PS3.18 Tables 10.6.3-3..5): never stored, so only returned, and
 * matched only where a rule exists (ModalitiesInStudy above).
 */
export const ComputedTags = {
  /** PS3.18 Table 10.6.3-3 */
  ModalitiesInStudy: '00080061',
  SOPClassesInStudy: '00080062',
  NumberOfStudyRelatedSeries: '00201206',
  NumberOfStudyRelatedInstances: '00201208',
  /** PS3.18 Table 10.6.3-4 */
  NumberOfSeriesRelatedInstances: '00201209',
  /** PS3.18 Tables 10.6.3-3..5 */
  RetrieveURL: '00081190',
} as const;

const COMPUTED = new Set<string>(Object.values(ComputedTags));
const STUDY_COMPUTED = new Set<string>([
  ComputedTags.ModalitiesInStudy,
  ComputedTags.SOPClassesInStudy,
  ComputedTags.NumberOfStudyRelatedSeries,
  ComputedTags.NumberOfStudyRelatedInstances,
]);

/** Dictionary multi-VR codes (dcmjs) to one VR, as a QIDO value would be typed. */
function normaliseVr(vr: string): string {
  switch (vr) {
    case 'xs':
      return 'US';
    case 'ox':
    case 'lt':
      return 'OW';
    case 'up':
      return 'UL';
    default:
      return vr;
  }
}

function matchingOfVr(vr: string): Attribute['matching'] {
  switch (vr) {
    case 'UI':
      return 'uid';
    case 'PN':
      return 'pn';
    case 'DA':
      return 'date';
    case 'TM':
      return 'time';
    case 'DT':
      return 'datetime';
    case 'IS':
    case 'DS':
    case 'US':
    case 'SS':
    case 'UL':
    case 'SL':
    case 'UV':
    case 'SV':
    case 'FL':
    case 'FD':
      return 'number';
    case 'SQ':
      return 'sequence';
    case 'AE':
    case 'AS':
    case 'CS':
    case 'LO':
    case 'LT':
    case 'SH':
    case 'ST':
    case 'UC':
    case 'UR':
    case 'UT':
      return 'text';
    default:
      return 'none';
  }
}

/** Study- and series-level tags are kept on those rows (index/levels.ts); the rest per instance. */
export function levelOfTag(tag: Tag): Level {
  if (STUDY_LEVEL_TAGS.has(tag) || STUDY_COMPUTED.has(tag)) return 'study';
  if (SERIES_LEVEL_TAGS.has(tag)) return 'series';
  return 'instance';
}

/** Tag of an attribute ID: 8 hex digits (any case) or a PS3.6 keyword; undefined when neither. */
export function tagOfAttributeId(id: string): Tag | undefined {
  if (/^[0-9A-Fa-f]{8}$/.test(id)) return id.toUpperCase();
  return tagOfKeyword(id);
}

/** The attribute an ID names, for matching or return. Throws for unknown and private tags. */
export function attributeOf(id: string, parameter = id): Attribute {
  const tag = tagOfAttributeId(id);
  if (!tag || !isTag(tag) || isPrivateTag(tag)) throw new QidoUnknownAttributeError(parameter);
  const known = BY_TAG.get(tag);
  if (known) return known;
  const vr = dictionaryVr(tag);
  if (vr === undefined) throw new QidoUnknownAttributeError(parameter);
  const normalised = normaliseVr(vr);
  const level = tag === ComputedTags.NumberOfSeriesRelatedInstances ? 'series' : levelOfTag(tag);
  return {
    tag,
    keyword: keywordOf(tag) ?? tag,
    vr: normalised,
    level,
    matching: COMPUTED.has(tag) ? 'none' : matchingOfVr(normalised),
  };
}

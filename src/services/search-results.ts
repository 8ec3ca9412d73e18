import type { DicomJsonDataset, DicomJsonElement } from '../dicom/json/types.js';
import { dictionaryVr, type Tag } from '../dicom/tag.js';
import type { InstanceMatch, SeriesMatch, StudyMatch } from '../index/search.repository.js';

/**
 * Search results as DICOM JSON (PS3.18 10.6.3.3 and Annex F): the return attributes each level
 * requires, the computed ones, and whatever includefield or a match key asked for.
 */

/** PS3.18 Table 10.6.3-3, stored ones (computed ones are added below). */
export const STUDY_RETURN: readonly Tag[] = [
  '00080005', // SpecificCharacterSet (C)
  '00080020', // StudyDate
  '00080030', // StudyTime
  '00080050', // AccessionNumber
  '00080090', // ReferringPhysicianName
  '00080201', // TimezoneOffsetFromUTC (C)
  '00081030', // StudyDescription (not required; every viewer's study list shows it)
  '00100010', // PatientName
  '00100020', // PatientID
  '00100030', // PatientBirthDate
  '00100040', // PatientSex
  '0020000D', // StudyInstanceUID
  '00200010', // StudyID
];

/** PS3.18 Table 10.6.3-4. */
export const SERIES_RETURN: readonly Tag[] = [
  '00080005', // SpecificCharacterSet (C)
  '00080060', // Modality
  '00080201', // TimezoneOffsetFromUTC (C)
  '0008103E', // SeriesDescription (C)
  '0020000E', // SeriesInstanceUID
  '00200011', // SeriesNumber
  '00400244', // PerformedProcedureStepStartDate (C)
  '00400245', // PerformedProcedureStepStartTime (C)
  '00400275', // RequestAttributesSequence (C)
];

/** PS3.18 Table 10.6.3-5 (from metadata when it was read). */
const INSTANCE_FROM_METADATA: readonly Tag[] = ['00080005', '00080201'];

/** Type R attributes: present even when empty (zero-length value, PS3.18 F.2.5). */
const REQUIRED = new Set<Tag>([
  '00080020',
  '00080030',
  '00080050',
  '00080090',
  '00100010',
  '00100020',
  '00100030',
  '00100040',
  '00200010',
  '00080060',
  '00200011',
  '00200013',
]);

export interface ResultOptions {
  /** includefield=all */
  all: boolean;
  /** includefield and match keys */
  tags: ReadonlySet<Tag>;
  /** Absolute Studies Service root, for RetrieveURL. */
  retrieveBase: string;
}

function vrOf(tag: Tag): string {
  const vr = dictionaryVr(tag) ?? 'UN';
  return /^[A-Z]{2}$/.test(vr) ? vr : 'UN';
}

/** Copies `tags` (or everything, with all) from `source`; R attributes appear even when absent. */
function pick(
  target: DicomJsonDataset,
  source: DicomJsonDataset | null,
  defaults: readonly Tag[],
  options: ResultOptions,
  levelTags?: (tag: Tag) => boolean,
): void {
  const wanted = new Set(defaults);
  for (const tag of options.tags) if (!levelTags || levelTags(tag)) wanted.add(tag);
  if (options.all && source) for (const tag of Object.keys(source)) wanted.add(tag);
  for (const tag of wanted) {
    const element: DicomJsonElement | undefined = source?.[tag];
    // Bulk data URIs are relative to a stored instance: not meaningful in a search result.
    if (element && element.BulkDataURI === undefined) target[tag] = element;
    else if (!element && REQUIRED.has(tag) && defaults.includes(tag))
      target[tag] = { vr: vrOf(tag) };
  }
}

function text(vr: string, values: (string | number)[] | null): DicomJsonElement {
  return values && values.length > 0 ? { vr, Value: values } : { vr };
}

export function studyResult(row: StudyMatch, options: ResultOptions): DicomJsonDataset {
  const ds: DicomJsonDataset = {};
  pick(ds, row.attributes, STUDY_RETURN, options);
  // No series with a Modality: left out rather than sent zero-length ({"vr":"CS"}). OHIF's
  // study list (DICOMWeb.getModalities) reads ModalitiesInStudy.Value.length whenever the
  // element is present and throws without a Value; absent, it shows an empty modality.
  if (row.modalities && row.modalities.length > 0) ds['00080061'] = text('CS', row.modalities);
  if (row.sopClasses) ds['00080062'] = text('UI', row.sopClasses);
  ds['00201206'] = text('IS', [row.seriesCount]);
  ds['00201208'] = text('IS', [row.instanceCount]);
  ds['00081190'] = text('UR', [`${options.retrieveBase}/studies/${row.studyInstanceUid}`]);
  return ds;
}

export function seriesResult(
  row: SeriesMatch,
  options: ResultOptions,
  studyTag: (tag: Tag) => boolean,
  scope: { studyDefaults: boolean } = { studyDefaults: true },
): DicomJsonDataset {
  const ds: DicomJsonDataset = {};
  if (row.studyAttributes) {
    const defaults = scope.studyDefaults ? STUDY_RETURN : [];
    pick(ds, row.studyAttributes, defaults, { ...options, all: false }, studyTag);
  }
  pick(ds, row.attributes, SERIES_RETURN, options, (t) => !studyTag(t));
  ds['00201209'] = text('IS', [row.instanceCount]);
  ds['00081190'] = text('UR', [
    `${options.retrieveBase}/studies/${row.studyInstanceUid}/series/${row.seriesInstanceUid}`,
  ]);
  return ds;
}

export function instanceResult(
  row: InstanceMatch,
  options: ResultOptions,
  levelOf: (tag: Tag) => 'study' | 'series' | 'instance',
  scope: { parentDefaults: boolean } = { parentDefaults: true },
): DicomJsonDataset {
  const ds: DicomJsonDataset = {};
  const notAll = { ...options, all: false };
  // /instances and /studies/{study}/instances return the study and series attributes
  // (PS3.18 10.6.3.3.3); within one series only those includefield or a match key names.
  const studyDefaults = scope.parentDefaults ? STUDY_RETURN : [];
  const seriesDefaults = scope.parentDefaults ? SERIES_RETURN : [];
  if (row.studyAttributes)
    pick(ds, row.studyAttributes, studyDefaults, notAll, (t) => levelOf(t) === 'study');
  if (row.seriesAttributes)
    pick(ds, row.seriesAttributes, seriesDefaults, notAll, (t) => levelOf(t) === 'series');
  if (row.metadata)
    pick(ds, row.metadata, INSTANCE_FROM_METADATA, options, (t) => levelOf(t) === 'instance');
  ds['00080016'] = text('UI', [row.sopClassUid]);
  ds['00080018'] = text('UI', [row.sopInstanceUid]);
  ds['00200013'] = text('IS', row.instanceNumber === null ? null : [row.instanceNumber]);
  if (row.rows !== null) ds['00280010'] = text('US', [row.rows]);
  if (row.columns !== null) ds['00280011'] = text('US', [row.columns]);
  if (row.bitsAllocated !== null) ds['00280100'] = text('US', [row.bitsAllocated]);
  if (row.numberOfFrames !== null) ds['00280008'] = text('IS', [row.numberOfFrames]);
  ds['00081190'] = text('UR', [
    `${options.retrieveBase}/studies/${row.studyInstanceUid}/series/${row.seriesInstanceUid}/instances/${row.sopInstanceUid}`,
  ]);
  return ds;
}

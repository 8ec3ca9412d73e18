/**
 * One match (DICOM JSON from the QIDO search) as a C-FIND response identifier: the keys the
 * request named, zero-length where the match has no value (PS3.4 C.4.1.1.3.2), plus the
 * level's unique keys and QueryRetrieveLevel. Text is sent as UTF-8 (ISO_IR 192): the index
 * holds decoded strings, whatever the stored instances' character sets.
 */
import type { DicomJsonDataset, DicomJsonElement } from '../../dicom/json/types.js';
import { tagOfKeyword } from '../../dicom/tag.js';
import type { QueryLevel } from './find-query.js';

/** Unique keys (PS3.4 C.6.1.1 / C.6.2.1): always returned, down to the query's level. */
const UNIQUE_KEYS: Record<QueryLevel, readonly string[]> = {
  PATIENT: ['PatientID'],
  STUDY: ['StudyInstanceUID'],
  SERIES: ['StudyInstanceUID', 'SeriesInstanceUID'],
  IMAGE: ['StudyInstanceUID', 'SeriesInstanceUID', 'SOPInstanceUID'],
};

export function responseIdentifier(
  match: DicomJsonDataset,
  level: QueryLevel,
  keys: readonly string[],
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  const identifier: Record<string, unknown> = {
    SpecificCharacterSet: 'ISO_IR 192',
    QueryRetrieveLevel: level,
  };
  for (const keyword of new Set([...UNIQUE_KEYS[level], ...keys])) {
    if (keyword in extra) {
      identifier[keyword] = extra[keyword];
      continue;
    }
    const tag = tagOfKeyword(keyword);
    const element = tag === undefined ? undefined : match[tag];
    identifier[keyword] = element === undefined ? '' : naturalValue(element);
  }
  return identifier;
}

/** DICOM JSON values in the library's naturalized form (dcmjs): one value bare, several as a list. */
function naturalValue(element: DicomJsonElement): unknown {
  const values = element.Value;
  if (element.vr === 'SQ' || values === undefined || values.length === 0) return '';
  const one = (value: unknown) => {
    if (element.vr === 'PN') return value ?? {};
    return value ?? '';
  };
  if (element.vr === 'PN') return values.map(one);
  return values.length === 1 ? one(values[0]) : values.map(one);
}

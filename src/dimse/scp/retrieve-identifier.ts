/**
 * The Identifier of a C-MOVE or C-GET (PS3.4 C.4.2.2.1, C.4.3.2.1) as index keys: the level,
 * and the unique keys of that level and those above it (Patient Root: PatientID at PATIENT;
 * Study Root starts at STUDY). A list of UIDs matches any of them (C.2.2.2.2). What the level
 * requires and is missing, or a level the model does not have, makes the identifier invalid
 * (status A900, Identifier does not match SOP Class).
 */
import type { RetrieveKeys } from '../../index/retrieve.repository.js';

export const PATIENT_ROOT_MOVE = '1.2.840.10008.5.1.4.1.2.1.2';
export const PATIENT_ROOT_GET = '1.2.840.10008.5.1.4.1.2.1.3';
export const STUDY_ROOT_MOVE = '1.2.840.10008.5.1.4.1.2.2.2';
export const STUDY_ROOT_GET = '1.2.840.10008.5.1.4.1.2.2.3';

/** PS3.4 C.4.2.1.5 / C.4.3.1.4 statuses of C-MOVE and C-GET. */
export const RetrieveStatus = {
  Success: 0x0000,
  Pending: 0xff00,
  Cancel: 0xfe00,
  /** Sub-operations complete, one or more failures or warnings. */
  SomeFailed: 0xb000,
  /** Refused: out of resources, unable to perform sub-operations. */
  UnableToPerform: 0xa702,
  /** Refused: Move Destination unknown. */
  MoveDestinationUnknown: 0xa801,
  /** Identifier does not match SOP Class. */
  IdentifierDoesNotMatch: 0xa900,
  /** Unable to process. */
  UnableToProcess: 0xc000,
} as const;

export type Identifier = Record<string, unknown>;

/** The keys, or a reason (PHI-free) why the identifier is refused. */
export function retrieveKeys(sopClassUid: string, identifier: Identifier): RetrieveKeys | string {
  const patientRoot = sopClassUid === PATIENT_ROOT_MOVE || sopClassUid === PATIENT_ROOT_GET;
  const level = single(identifier['QueryRetrieveLevel'])?.toUpperCase();
  const patientId = single(identifier['PatientID']);
  const studies = uids(identifier['StudyInstanceUID']);
  const series = uids(identifier['SeriesInstanceUID']);
  const instances = uids(identifier['SOPInstanceUID']);
  switch (level) {
    case 'PATIENT':
      if (!patientRoot) return 'PATIENT level in the Study Root model';
      return patientId ? { patientId } : 'PATIENT level without PatientID';
    case 'STUDY':
      if (studies.length === 0) return 'STUDY level without StudyInstanceUID';
      return { ...(patientRoot && patientId ? { patientId } : {}), studies };
    case 'SERIES':
      if (studies.length !== 1 || series.length === 0)
        return 'SERIES level needs one StudyInstanceUID and SeriesInstanceUIDs';
      return { studies, series };
    case 'IMAGE':
      if (studies.length !== 1 || series.length !== 1 || instances.length === 0)
        return 'IMAGE level needs one Study and one Series UID, and SOPInstanceUIDs';
      return { studies, series, instances };
    case undefined:
    default:
      return 'QueryRetrieveLevel missing or unknown';
  }
}

function single(value: unknown): string | undefined {
  const first = Array.isArray(value) ? (value[0] as unknown) : value;
  if (typeof first !== 'string') return undefined;
  const trimmed = first.trim();
  return trimmed === '' ? undefined : trimmed;
}

/** UI values: an array (dcmjs naturalized) or one backslash-separated string. */
function uids(value: unknown): string[] {
  const list = Array.isArray(value) ? value : [value];
  return list
    .flatMap((v) => (typeof v === 'string' ? v.split('\\') : []))
    .map((v) => v.replace(/\0/g, '').trim())
    .filter((v) => v !== '');
}

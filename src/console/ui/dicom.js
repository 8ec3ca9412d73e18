/** Reading DICOM JSON (PS3.18 Annex F) for display. */

/** @param {any} ds @param {string} tag */
export function first(ds, tag) {
  return ds?.[tag]?.Value?.[0];
}

/** @param {any} ds @param {string} tag */
export function text(ds, tag) {
  const element = ds?.[tag];
  const values = element?.Value;
  if (!values) return '';
  if (element.vr === 'PN') return values.map(personName).join('\\');
  return values.join('\\');
}

/** `Doe^John` → `Doe, John`; the alphabetic group only. */
export function personName(value) {
  const name = typeof value === 'string' ? value : value?.Alphabetic;
  if (!name) return '';
  const [family, given, middle, prefix, suffix] = name.split('^');
  const rest = [prefix, given, middle, suffix].filter(Boolean).join(' ');
  return rest ? `${family}, ${rest}` : family;
}

/** DA `20240131` → `2024-01-31`. */
export function date(value) {
  return /^\d{8}$/.test(value ?? '')
    ? `${value.slice(0, 4)}-${value.slice(4, 6)}-${value.slice(6)}`
    : (value ?? '');
}

/** `2024-01-31` (input type=date) → `20240131`. */
export function dicomDate(value) {
  return value ? value.replaceAll('-', '') : '';
}

export const TAGS = {
  PatientName: '00100010',
  PatientID: '00100020',
  PatientBirthDate: '00100030',
  PatientSex: '00100040',
  StudyInstanceUID: '0020000D',
  StudyDate: '00080020',
  StudyTime: '00080030',
  AccessionNumber: '00080050',
  StudyDescription: '00081030',
  ModalitiesInStudy: '00080061',
  Modality: '00080060',
  NumberOfStudyRelatedSeries: '00201206',
  NumberOfStudyRelatedInstances: '00201208',
  SeriesInstanceUID: '0020000E',
  SeriesNumber: '00200011',
  SeriesDescription: '0008103E',
  NumberOfSeriesRelatedInstances: '00201209',
  SOPInstanceUID: '00080018',
  SOPClassUID: '00080016',
  InstanceNumber: '00200013',
  NumberOfFrames: '00280008',
  Rows: '00280010',
  WindowCenter: '00281050',
  WindowWidth: '00281051',
  RetrieveURL: '00081190',
  ReferencedSOPSequence: '00081199',
  FailedSOPSequence: '00081198',
  FailureReason: '00081197',
  WarningReason: '00081196',
  ReferencedSOPInstanceUID: '00081155',
};

/** PS3.4 Annex GG.4 and Strata's own codes (services/outcomes.ts): STOW failure reasons. */
export const FAILURE_REASONS = {
  0x0110: 'processing failure',
  0x0111: 'duplicate SOP instance',
  0x0122: 'SOP class not supported',
  0x0124: 'not authorized (another patient)',
  0xa700: 'out of resources',
  0xa900: 'data set does not match SOP class',
  0xc000: 'cannot understand (not a valid DICOM file)',
  0xc122: 'transfer syntax not supported',
  0xb007: 'data set does not match SOP class (warning)',
  0xb00a: 'patient conflict',
};

export function reasonText(code) {
  const known = FAILURE_REASONS[code];
  const hex = `0x${Number(code).toString(16).toUpperCase().padStart(4, '0')}`;
  return known ? `${known} (${hex})` : hex;
}

/** The study UID in a RetrieveURL (…/studies/{uid}[/…]). */
export function studyOfUrl(url) {
  return /\/studies\/([0-9.]+)/.exec(url ?? '')?.[1];
}

/** PS3.5 §9.1: components of digits separated by dots, at most 64 characters. */
export function isUid(value) {
  return typeof value === 'string' && value.length <= 64 && /^[0-9]+(\.[0-9]+)*$/.test(value);
}

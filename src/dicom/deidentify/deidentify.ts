/**
 * PS3.15 Annex E Basic Application Level Confidentiality Profile, applied to one Part 10
 * instance with dcmjs (whole instance in memory: a de-identified export reads, rewrites and
 * writes each instance once). Every attribute of Table E.1-1 (profile-table.ts) gets its
 * action wherever it occurs, top level or inside sequence items; private attributes are removed;
 * attributes the table does not list are kept, and sequences are walked into. Pixel data is
 * kept as it is: annotations burned into the pixels are NOT removed (the Clean Pixel Data
 * Option is outside this profile and not offered), nor are overlays in pixel data bits.
 */
import dcmjs from 'dcmjs';
import { DicomParseError } from '../errors.js';
import { shiftDa, shiftDt } from './dates.js';
import { BASIC_PROFILE, type ProfileAction } from './profile-table.js';
import type { UidMap } from './uid-map.js';

export interface DeidentifyOptions {
  /** Replacement UIDs, shared by every instance of one export. */
  uids: UidMap;
  /**
   * Dates: 'remove' applies the Basic Profile's action; 'keep' is the Retain Longitudinal
   * Temporal Information with Full Dates Option (E.3.6); a number of days shifts every DA and
   * DT value by it (Modified Dates Option).
   */
  dates: 'remove' | 'keep' | { shiftDays: number };
  /** Implementation Class UID and Version Name written into the new File Meta Information. */
  implementation?: { classUid: string; versionName: string } | undefined;
}

interface Element {
  vr: string;
  Value?: unknown[];
  InlineBinary?: unknown;
}
type Dataset = Record<string, Element>;

interface DcmjsWritable {
  meta: Dataset;
  dict: Dataset;
  write(): ArrayBuffer;
}
const data = dcmjs.data as unknown as {
  DicomMessage: {
    readFile(buffer: ArrayBuffer, options?: object): { meta: Dataset; dict: Dataset };
  };
  DicomDict: new (meta: Dataset) => DcmjsWritable;
};

const ACTIONS = new Map<string, { action: ProfileAction; fullDates: boolean }>(
  BASIC_PROFILE.map(([tag, action, fullDates]) => [tag, { action, fullDates: fullDates === true }]),
);
/** Repeating groups of the table: curve data 50xx,xxxx; overlay data and comments 60xx. */
function repeating(tag: string): ProfileAction | undefined {
  if (tag.startsWith('50')) return 'X';
  if (tag.startsWith('60') && (tag.endsWith('3000') || tag.endsWith('4000'))) return 'X';
  return undefined;
}

/** PS3.16 CID 7050 De-identification Method codes (scheme DCM). */
export const DeidentificationCode = {
  BasicProfile: ['113100', 'Basic Application Confidentiality Profile'],
  FullDates: ['113106', 'Retain Longitudinal Temporal Information Full Dates Option'],
  ModifiedDates: ['113107', 'Retain Longitudinal Temporal Information Modified Dates Option'],
} as const;

const DUMMY_TEXT = 'ANONYMOUS';

/**
 * The de-identifying application named in the new File Meta Information (PS3.10 7.1
 * Implementation Class UID, a UUID-derived UID under 2.25 minted once for Strata).
 */
export const DEIDENTIFIER = {
  classUid: '2.25.186355544311171578040585887036410254544',
  versionName: 'STRATA_DEID',
} as const;

/**
 * The de-identified Part 10 file of `part10` (a whole instance). Throws what dcmjs throws for
 * a file it cannot read.
 */
export function deidentifyPart10(part10: Uint8Array, options: DeidentifyOptions): Buffer {
  // dcmjs reports what it repairs on the console; the export's own messages are enough.
  dcmjs.log.setLevel('error');
  const copy = part10.buffer.slice(part10.byteOffset, part10.byteOffset + part10.byteLength);
  let read: { meta: Dataset; dict: Dataset };
  try {
    read = data.DicomMessage.readFile(copy as ArrayBuffer, { ignoreErrors: true });
  } catch (error) {
    throw new DicomParseError(`de-identification could not read the instance: ${String(error)}`, 0);
  }
  assertPlausible(read.dict, part10.byteLength);
  const dataset = deidentifyDataset(read.dict, options);
  markDeidentified(dataset, options);
  const out = new data.DicomDict(newMeta(read.meta, dataset, options));
  out.dict = dataset;
  return Buffer.from(out.write());
}

/**
 * dcmjs misreads some valid files (an RT Dose whose sequence item it parses with a garbage
 * length of hundreds of MB) and would then write, or fail to write, nonsense: a value larger
 * than the whole file is proof of a misread, and the instance is refused rather than exported
 * wrong.
 */
function assertPlausible(dataset: Dataset, fileLength: number): void {
  for (const element of Object.values(dataset)) {
    for (const value of element.Value ?? []) {
      if (value instanceof ArrayBuffer && value.byteLength > fileLength) {
        throw new DicomParseError('de-identification misread the instance (dcmjs)', 0);
      }
      if (element.vr === 'SQ' && value && typeof value === 'object')
        assertPlausible(value as Dataset, fileLength);
    }
  }
}

/** Applies the profile to one dataset (and, through sequences, its items); returns a new one. */
export function deidentifyDataset(dataset: Dataset, options: DeidentifyOptions): Dataset {
  const out: Dataset = {};
  for (const [rawTag, element] of Object.entries(dataset)) {
    const tag = rawTag.toUpperCase();
    // Private attributes (odd group): removed, as the basic profile requires (E.3.10 would
    // keep "safe" ones; that option is not offered).
    if (parseInt(tag.slice(0, 4), 16) % 2 === 1) continue;
    const entry = ACTIONS.get(tag);
    const action = entry?.action ?? repeating(tag);
    const replaced =
      entry?.fullDates && options.dates !== 'remove'
        ? datedKeep(element, options)
        : action === undefined
          ? unlisted(element, options)
          : apply(action, element, options);
    if (replaced !== undefined) out[tag] = replaced;
  }
  return out;
}

/** An attribute the table does not list: kept; sequences walked; dates shifted when asked. */
function unlisted(element: Element, options: DeidentifyOptions): Element {
  if (element.vr === 'SQ') return walk(element, options);
  return shifted(element, options);
}

/** Dates and times the Full Dates Option keeps; with a shift, dates (not times) move. */
function datedKeep(element: Element, options: DeidentifyOptions): Element {
  return options.dates === 'keep' ? element : shifted(element, options);
}

function shifted(element: Element, options: DeidentifyOptions): Element {
  if (typeof options.dates !== 'object' || !element.Value) return element;
  const days = options.dates.shiftDays;
  if (element.vr === 'DA')
    return { ...element, Value: strings(element).map((v) => shiftDa(v, days)) };
  if (element.vr === 'DT')
    return { ...element, Value: strings(element).map((v) => shiftDt(v, days)) };
  return element;
}

/**
 * One action of Table E.1-1. Where the table leaves a choice to IOD conformance (X/Z, X/D,
 * X/Z/D, Z/D), the attribute is kept with an empty or dummy value rather than removed: the
 * instance stays valid whatever the attribute's type in its IOD, and no original value remains.
 */
function apply(
  action: ProfileAction,
  element: Element,
  options: DeidentifyOptions,
): Element | undefined {
  switch (action) {
    case 'X':
      return undefined;
    case 'Z':
    case 'X/Z':
      return element.vr === 'SQ' ? { vr: 'SQ', Value: [] } : { vr: element.vr, Value: [] };
    case 'D':
    case 'X/D':
    case 'X/Z/D':
    case 'Z/D':
      return dummy(element, options);
    case 'K':
      return element.vr === 'SQ' ? walk(element, options) : element;
    case 'U':
    case 'X/Z/U*':
      // A sequence of references keeps its items, with their UIDs replaced by the profile's
      // own rules (Referenced SOP Instance UID is U); a UI element is mapped directly.
      if (element.vr === 'SQ') return walk(element, options);
      if (element.vr === 'UI')
        return { vr: 'UI', Value: strings(element).map((u) => (u ? options.uids.map(u) : u)) };
      return { vr: element.vr, Value: [] };
  }
}

function walk(element: Element, options: DeidentifyOptions): Element {
  const items = (element.Value ?? []) as Dataset[];
  return { vr: 'SQ', Value: items.map((item) => deidentifyDataset(item, options)) };
}

/** A dummy value consistent with the VR (PS3.15 E.1.1 action D). */
function dummy(element: Element, options: DeidentifyOptions): Element {
  const { vr } = element;
  switch (vr) {
    case 'SQ':
      return walk(element, options);
    case 'UI':
      return { vr, Value: strings(element).map((u) => (u ? options.uids.map(u) : u)) };
    case 'PN':
      return { vr, Value: [{ Alphabetic: DUMMY_TEXT }] };
    case 'DA':
      return { vr, Value: ['19000101'] };
    case 'DT':
      return { vr, Value: ['19000101000000'] };
    case 'TM':
      return { vr, Value: ['000000'] };
    case 'AS':
      return { vr, Value: ['000Y'] };
    case 'IS':
    case 'DS':
      return { vr, Value: ['0'] };
    case 'US':
    case 'SS':
    case 'UL':
    case 'SL':
    case 'FL':
    case 'FD':
    case 'UV':
    case 'SV':
      return { vr, Value: [0] };
    case 'OB':
    case 'OW':
    case 'OD':
    case 'OF':
    case 'OL':
    case 'OV':
    case 'UN':
      return { vr, Value: [] };
    default:
      return { vr, Value: [DUMMY_TEXT] };
  }
}

function strings(element: Element): string[] {
  return (element.Value ?? []).map((v) => (typeof v === 'string' ? v : String(v)));
}

/** PS3.15 E.1.1 step 6: Patient Identity Removed and the method, as text and as codes. */
function markDeidentified(dataset: Dataset, options: DeidentifyOptions): void {
  const codes: (readonly [string, string])[] = [DeidentificationCode.BasicProfile];
  if (options.dates === 'keep') codes.push(DeidentificationCode.FullDates);
  else if (typeof options.dates === 'object') codes.push(DeidentificationCode.ModifiedDates);
  dataset['00120062'] = { vr: 'CS', Value: ['YES'] };
  // LO: 64 characters per value, one value per code.
  dataset['00120063'] = { vr: 'LO', Value: codes.map(([, meaning]) => meaning.slice(0, 64)) };
  dataset['00120064'] = {
    vr: 'SQ',
    Value: codes.map(([value, meaning]) => ({
      '00080100': { vr: 'SH', Value: [value] },
      '00080102': { vr: 'SH', Value: ['DCM'] },
      '00080104': { vr: 'LO', Value: [meaning] },
    })),
  };
}

/**
 * New File Meta Information (PS3.15 E.1.1 step 7: the original may leak identity): the SOP
 * Class and the new SOP Instance UID from the dataset, the original transfer syntax (the pixel
 * data is unchanged), and the de-identifying application instead of the source's.
 */
function newMeta(meta: Dataset, dataset: Dataset, options: DeidentifyOptions): Dataset {
  const out: Dataset = {
    '00020001': { vr: 'OB', Value: [new Uint8Array([0, 1]).buffer] },
    '00020002': dataset['00080016'] ?? meta['00020002'] ?? { vr: 'UI', Value: [] },
    '00020003': dataset['00080018'] ?? { vr: 'UI', Value: [] },
    '00020010': meta['00020010'] ?? { vr: 'UI', Value: ['1.2.840.10008.1.2.1'] },
  };
  const implementation = options.implementation ?? DEIDENTIFIER;
  out['00020012'] = { vr: 'UI', Value: [implementation.classUid] };
  out['00020013'] = { vr: 'SH', Value: [implementation.versionName] };
  return out;
}

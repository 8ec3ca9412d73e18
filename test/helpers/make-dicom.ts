import { randomBytes } from 'node:crypto';

/**
 * Writes small Explicit VR Little Endian Part 10 files for tests: enough to generate studies,
 * series and instances with chosen attributes. Values are strings (or a byte body for OB/OW).
 */
export type Elements = Record<string, { vr: string; value: string | Uint8Array }>;

export const CT_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.2';
const EXPLICIT_LE = '1.2.840.10008.1.2.1';
const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'UC', 'UN', 'UR', 'UT', 'UV']);

let counter = 0;
/** A fresh UID under the 2.25 (UUID-derived) root, unique per call. */
export function newUid(): string {
  counter++;
  const n = BigInt('0x' + randomBytes(15).toString('hex')) * 1000n + BigInt(counter % 1000);
  return `2.25.${n}`;
}

function element(tag: string, vr: string, value: string | Uint8Array): Buffer {
  let data: Buffer = typeof value === 'string' ? Buffer.from(value, 'latin1') : Buffer.from(value);
  if (data.length % 2 === 1) {
    data = Buffer.concat([
      data,
      Buffer.from([vr === 'UI' || typeof value !== 'string' ? 0 : 0x20]),
    ]);
  }
  const group = parseInt(tag.slice(0, 4), 16);
  const elem = parseInt(tag.slice(4), 16);
  const long = LONG_VRS.has(vr);
  const header = Buffer.alloc(long ? 12 : 8);
  header.writeUInt16LE(group, 0);
  header.writeUInt16LE(elem, 2);
  header.write(vr, 4, 'latin1');
  if (long) header.writeUInt32LE(data.length, 8);
  else header.writeUInt16LE(data.length, 6);
  return Buffer.concat([header, data]);
}

function encode(elements: Elements): Buffer {
  return Buffer.concat(
    Object.keys(elements)
      .sort()
      .map((tag) => element(tag, elements[tag]!.vr, elements[tag]!.value)),
  );
}

export interface InstanceSpec {
  studyInstanceUid?: string;
  seriesInstanceUid?: string;
  sopInstanceUid?: string;
  sopClassUid?: string;
  patientId?: string;
  patientName?: string;
  modality?: string;
  /** Extra or overriding elements. */
  elements?: Elements;
  /** Tags of the default elements to leave out altogether (e.g. '00080060', no Modality). */
  omit?: readonly string[];
  /** Bytes of native 16-bit pixel data (rows x cols derived square); default 64 bytes. */
  pixelBytes?: number;
  /** Preamble content (default zeros). */
  preamble?: Uint8Array;
  /** MediaStorageSOPInstanceUID (0002,0003) of the file meta; default the SOP Instance UID. */
  mediaStorageSopInstanceUid?: string;
}

export interface GeneratedInstance {
  bytes: Buffer;
  studyInstanceUid: string;
  seriesInstanceUid: string;
  sopInstanceUid: string;
  sopClassUid: string;
}

/** A complete Part 10 CT-like instance. */
export function makeInstance(spec: InstanceSpec = {}): GeneratedInstance {
  const studyInstanceUid = spec.studyInstanceUid ?? newUid();
  const seriesInstanceUid = spec.seriesInstanceUid ?? newUid();
  const sopInstanceUid = spec.sopInstanceUid ?? newUid();
  const sopClassUid = spec.sopClassUid ?? CT_IMAGE_STORAGE;
  const pixelBytes = spec.pixelBytes ?? 64;
  const side = Math.max(1, Math.floor(Math.sqrt(pixelBytes / 2)));
  const elements: Elements = {
    '00080016': { vr: 'UI', value: sopClassUid },
    '00080018': { vr: 'UI', value: sopInstanceUid },
    '00080020': { vr: 'DA', value: '20240102' },
    '00080060': { vr: 'CS', value: spec.modality ?? 'CT' },
    '00100010': { vr: 'PN', value: spec.patientName ?? 'Test^Patient' },
    '00100020': { vr: 'LO', value: spec.patientId ?? 'PID-1' },
    '0020000D': { vr: 'UI', value: studyInstanceUid },
    '0020000E': { vr: 'UI', value: seriesInstanceUid },
    '00200013': { vr: 'IS', value: '1' },
    '00280002': { vr: 'US', value: u16(1) },
    '00280004': { vr: 'CS', value: 'MONOCHROME2' },
    '00280010': { vr: 'US', value: u16(side) },
    '00280011': { vr: 'US', value: u16(side) },
    '00280100': { vr: 'US', value: u16(16) },
    '00280101': { vr: 'US', value: u16(16) },
    '00280102': { vr: 'US', value: u16(15) },
    '00280103': { vr: 'US', value: u16(0) },
    '7FE00010': { vr: 'OW', value: randomBytes(side * side * 2) },
    ...spec.elements,
  };
  for (const tag of spec.omit ?? []) delete elements[tag];
  const dataset = encode(elements);
  const metaBody = encode({
    '00020001': { vr: 'OB', value: new Uint8Array([0, 1]) },
    '00020002': { vr: 'UI', value: sopClassUid },
    '00020003': { vr: 'UI', value: spec.mediaStorageSopInstanceUid ?? sopInstanceUid },
    '00020010': { vr: 'UI', value: EXPLICIT_LE },
    '00020012': { vr: 'UI', value: '1.2.826.0.1.3680043.10.1' },
  });
  const groupLength = element('00020000', 'UL', u32(metaBody.length));
  const preamble = Buffer.alloc(128);
  if (spec.preamble) Buffer.from(spec.preamble).copy(preamble);
  return {
    bytes: Buffer.concat([preamble, Buffer.from('DICM'), groupLength, metaBody, dataset]),
    studyInstanceUid,
    seriesInstanceUid,
    sopInstanceUid,
    sopClassUid,
  };
}

function u16(n: number): Uint8Array {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(n);
  return b;
}

function u32(n: number): Uint8Array {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
}

/** A different object (new pixel bytes) under the same study, series and SOP Instance UIDs. */
export function makeSameUids(
  instance: GeneratedInstance,
  spec: InstanceSpec = {},
): GeneratedInstance {
  return makeInstance({
    ...spec,
    sopInstanceUid: instance.sopInstanceUid,
    studyInstanceUid: instance.studyInstanceUid,
    seriesInstanceUid: instance.seriesInstanceUid,
  });
}

import { ItemTag, SequenceDelimitationTag } from '../../src/dicom/tag.js';
import {
  concat,
  explicitElement,
  itemHeader,
  text,
  uint16s,
  UNDEFINED_LENGTH,
} from '../../src/dicom/testing/build-part10.js';
import { newUid } from './make-dicom.js';

/**
 * Small Part 10 images with pixel data makeInstance cannot write: an encapsulated
 * codestream (PS3.5 A.4) or Double Float Pixel Data.
 */
export interface PixelInstance {
  bytes: Uint8Array;
  study: string;
  series: string;
  sop: string;
  /** `${base}/studies/…/instances/…` */
  url(base: string): string;
}

const SECONDARY_CAPTURE = '1.2.840.10008.5.1.4.1.1.7';
/** PS3.6 Annex A: Parametric Map Storage (the IOD that carries float pixel data). */
const PARAMETRIC_MAP = '1.2.840.10008.5.1.4.1.1.30';
const EXPLICIT_LE = '1.2.840.10008.1.2.1';

/**
 * An 8-bit MONOCHROME2 image in `transferSyntaxUid` whose pixel data holds `fragments` (one
 * codestream, or several fragments one per frame) after an empty Basic Offset Table.
 * `numberOfFrames` declares NumberOfFrames (0028,0008), which may differ from what is stored.
 */
export function encapsulatedInstance(
  transferSyntaxUid: string,
  rows: number,
  columns: number,
  fragments: Uint8Array | Uint8Array[],
  { numberOfFrames }: { numberOfFrames?: number } = {},
): PixelInstance {
  const items = (Array.isArray(fragments) ? fragments : [fragments]).flatMap((codestream) => {
    // PS3.5 A.4: an item's value has even length.
    const fragment =
      codestream.length % 2 === 0 ? codestream : concat([codestream, new Uint8Array(1)]);
    return [itemHeader(ItemTag, fragment.length), fragment];
  });
  return instance(SECONDARY_CAPTURE, transferSyntaxUid, [
    ...imagePixel(rows, columns, 8, numberOfFrames),
    explicitElement('00280103', 'US', uint16s(0)),
    explicitElement('7FE00010', 'OB', new Uint8Array(0), UNDEFINED_LENGTH),
    itemHeader(ItemTag, 0), // empty Basic Offset Table
    ...items,
    itemHeader(SequenceDelimitationTag, 0),
  ]);
}

/** A 2x2 parametric map whose pixels are Double Float Pixel Data (7FE0,0009; PS3.3 C.7.6.3). */
export function doubleFloatInstance(): PixelInstance {
  const values = new Float64Array([0.5, -1.25, 3e10, 0]);
  return instance(PARAMETRIC_MAP, EXPLICIT_LE, [
    ...imagePixel(2, 2, 64),
    explicitElement('7FE00009', 'OD', new Uint8Array(values.buffer)),
  ]);
}

function imagePixel(
  rows: number,
  columns: number,
  bits: number,
  numberOfFrames?: number,
): Uint8Array[] {
  return [
    explicitElement('00280002', 'US', uint16s(1)),
    explicitElement('00280004', 'CS', text('MONOCHROME2')),
    ...(numberOfFrames === undefined
      ? []
      : [explicitElement('00280008', 'IS', text(String(numberOfFrames)))]),
    explicitElement('00280010', 'US', uint16s(rows)),
    explicitElement('00280011', 'US', uint16s(columns)),
    explicitElement('00280100', 'US', uint16s(bits)),
    ...(bits <= 16
      ? [
          explicitElement('00280101', 'US', uint16s(bits)),
          explicitElement('00280102', 'US', uint16s(bits - 1)),
        ]
      : []),
  ];
}

function instance(sopClass: string, transferSyntaxUid: string, pixel: Uint8Array[]): PixelInstance {
  const study = newUid();
  const series = newUid();
  const sop = newUid();
  const meta = concat([
    explicitElement('00020001', 'OB', new Uint8Array([0, 1])),
    explicitElement('00020002', 'UI', text(sopClass, '\0')),
    explicitElement('00020003', 'UI', text(sop, '\0')),
    explicitElement('00020010', 'UI', text(transferSyntaxUid, '\0')),
  ]);
  const preamble = new Uint8Array(132);
  preamble.set([0x44, 0x49, 0x43, 0x4d], 128);
  const groupLength = new Uint8Array(4);
  new DataView(groupLength.buffer).setUint32(0, meta.length, true);
  const bytes = concat([
    preamble,
    explicitElement('00020000', 'UL', groupLength),
    meta,
    explicitElement('00080016', 'UI', text(sopClass, '\0')),
    explicitElement('00080018', 'UI', text(sop, '\0')),
    explicitElement('00080060', 'CS', text('OT')),
    explicitElement('0020000D', 'UI', text(study, '\0')),
    explicitElement('0020000E', 'UI', text(series, '\0')),
    ...pixel,
  ]);
  return {
    bytes,
    study,
    series,
    sop,
    url: (base) => `${base}/studies/${study}/series/${series}/instances/${sop}`,
  };
}

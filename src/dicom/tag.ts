/**
 * Tags as uppercase 8-hex strings ('0020000D'), as in DICOM JSON (PS3.18 F.2.1.1), with
 * keyword and VR lookups from the PS3.6 data dictionary bundled with dcmjs.
 */
import dcmjs from 'dcmjs';

/** '0020000D': group and element as 8 uppercase hex digits. */
export type Tag = string;

/** PS3.5 §7.5: the item and delimitation tags (group FFFE). */
export const ItemTag = 'FFFEE000';
export const ItemDelimitationTag = 'FFFEE00D';
export const SequenceDelimitationTag = 'FFFEE0DD';

/** PS3.3 C.7.6.3: Pixel Data, Float Pixel Data, Double Float Pixel Data. */
export const PixelDataTag = '7FE00010';
export const FloatPixelDataTag = '7FE00008';
export const DoubleFloatPixelDataTag = '7FE00009';
/** PS3.3 C.7.6.3: Extended Offset Table and its lengths. */
export const ExtendedOffsetTableTag = '7FE00001';
export const ExtendedOffsetTableLengthsTag = '7FE00002';
export const SpecificCharacterSetTag = '00080005';
export const TransferSyntaxUidTag = '00020010';
export const PixelRepresentationTag = '00280103';

const HEX = '0123456789ABCDEF';

/** Formats group/element numbers as a Tag. */
export function tagOf(group: number, element: number): Tag {
  const n = ((group & 0xffff) * 0x10000 + (element & 0xffff)) >>> 0;
  let s = '';
  for (let shift = 28; shift >= 0; shift -= 4) s += HEX[(n >>> shift) & 0xf];
  return s;
}

export function tagGroup(tag: Tag): number {
  return parseInt(tag.slice(0, 4), 16);
}

export function tagElement(tag: Tag): number {
  return parseInt(tag.slice(4), 16);
}

/** True for a well-formed Tag string. */
export function isTag(s: string): s is Tag {
  return /^[0-9A-F]{8}$/.test(s);
}

/** PS3.5 §7.8.1: private groups are odd (groups 0001, 0003, 0005, 0007 and FFFF are not usable). */
export function isPrivateTag(tag: Tag): boolean {
  return (tagGroup(tag) & 1) === 1;
}

/** PS3.5 §7.8.1: private creator elements are (gggg,0010-00FF) in an odd group. */
export function isPrivateCreatorTag(tag: Tag): boolean {
  const element = tagElement(tag);
  return isPrivateTag(tag) && element >= 0x10 && element <= 0xff;
}

/** PS3.5 §7.2: group length elements (gggg,0000). */
export function isGroupLengthTag(tag: Tag): boolean {
  return tag.endsWith('0000');
}

interface Entry {
  keyword: string;
  /** The dictionary VR, possibly a multi-VR code: ox (OB/OW), xs (US/SS), lt (US/SS/OW), up (UL), na (none). */
  vr: string;
}

let byTag: Map<Tag, Entry> | undefined;
let byKeyword: Map<string, Tag> | undefined;

/** Builds both lookup maps once, on first use (the dictionary has ~5000 entries). */
function load(): { byTag: Map<Tag, Entry>; byKeyword: Map<string, Tag> } {
  if (byTag && byKeyword) return { byTag, byKeyword };
  const tags = new Map<Tag, Entry>();
  const keywords = new Map<string, Tag>();
  const nameMap = dcmjs.data.DicomMetaDictionary.nameMap;
  for (const name of Object.keys(nameMap)) {
    const entry = nameMap[name];
    if (!entry) continue;
    const match = /^\(([0-9A-Fa-f]{4}),([0-9A-Fa-f]{4})\)$/.exec(entry.tag);
    if (!match) continue;
    const tag = `${match[1]}${match[2]}`.toUpperCase();
    const keyword = name.startsWith('RETIRED_') ? name.slice('RETIRED_'.length) : name;
    if (!tags.has(tag) || !name.startsWith('RETIRED_')) tags.set(tag, { keyword, vr: entry.vr });
    if (!keywords.has(keyword)) keywords.set(keyword, tag);
  }
  byTag = tags;
  byKeyword = keywords;
  return { byTag: tags, byKeyword: keywords };
}

/** PS3.5 §7.6: repeating groups 50xx (curves) and 60xx (overlays) are in the dictionary as 5000/6000. */
function dictionaryKey(tag: Tag): Tag {
  const group = tagGroup(tag);
  if ((group & 0xff00) === 0x5000 || (group & 0xff00) === 0x6000) {
    if ((group & 1) === 0) return `${(group & 0xff00).toString(16).toUpperCase()}${tag.slice(4)}`;
  }
  return tag;
}

function lookup(tag: Tag): Entry | undefined {
  if (isPrivateTag(tag)) return undefined;
  return load().byTag.get(dictionaryKey(tag));
}

/** PS3.6 keyword of a standard tag ('PatientName'), undefined for private or unknown tags. */
export function keywordOf(tag: Tag): string | undefined {
  return lookup(tag)?.keyword;
}

/** Every standard tag with its PS3.6 keyword (the web console's tag table names elements with it). */
export function standardKeywords(): IterableIterator<[Tag, string]> {
  return [...load().byTag].map(([tag, entry]): [Tag, string] => [tag, entry.keyword]).values();
}

/** Tag of a PS3.6 keyword, undefined when unknown. Retired keywords are accepted. */
export function tagOfKeyword(keyword: string): Tag | undefined {
  return load().byKeyword.get(keyword);
}

/** Raw dictionary VR (may be ox, xs, lt, up or na), undefined for unknown and private tags. */
export function dictionaryVr(tag: Tag): string | undefined {
  return lookup(tag)?.vr;
}

/**
 * The VR to use for an element read in Implicit VR (PS3.5 Annex A.1): from the dictionary,
 * LO for private creators, UL for group lengths, UN for private and unknown tags. Ambiguous
 * dictionary VRs resolve as PS3.5 §A.1 c) says: OB/OW → OW, US/SS → by Pixel Representation.
 */
export function implicitVrOf(tag: Tag, pixelRepresentation?: number): string {
  if (isGroupLengthTag(tag)) return 'UL';
  if (isPrivateCreatorTag(tag)) return 'LO';
  const vr = lookup(tag)?.vr;
  switch (vr) {
    case undefined:
    case 'na':
      return 'UN';
    case 'ox':
    case 'lt':
      return 'OW';
    case 'xs':
      return pixelRepresentation === 1 ? 'SS' : 'US';
    case 'up':
      return 'UL';
    default:
      return vr;
  }
}

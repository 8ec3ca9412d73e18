import type {
  DicomJsonDataset,
  DicomJsonValue,
  PersonNameValue,
} from '../dicom/json/dicom-json.js';
import { keywordOf } from '../dicom/tag.js';

/**
 * DICOM JSON → the Native DICOM Model of PS3.19 Annex A (what `application/dicom+xml` carries):
 * one `NativeDicomModel` document per dataset, attributes in tag order, PN split into its
 * component groups and components (A.1.5), sequence items as numbered `Item`s.
 */
export function toNativeDicomModel(ds: DicomJsonDataset): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    '<NativeDicomModel xmlns="http://dicom.nema.org/PS3.19/models/NativeDICOM">' +
    attributes(ds) +
    '</NativeDicomModel>'
  );
}

function attributes(ds: DicomJsonDataset): string {
  let out = '';
  for (const tag of Object.keys(ds).sort()) {
    const element = ds[tag];
    if (!element) continue;
    const keyword = keywordOf(tag);
    out += `<DicomAttribute tag="${tag}" vr="${escape(element.vr)}"${keyword ? ` keyword="${keyword}"` : ''}>`;
    element.Value?.forEach((value, i) => {
      out += valueXml(element.vr, value, i + 1);
    });
    if (element.InlineBinary !== undefined) {
      out += `<InlineBinary>${escape(element.InlineBinary)}</InlineBinary>`;
    }
    if (element.BulkDataURI !== undefined) {
      out += `<BulkData uri="${escape(element.BulkDataURI)}"/>`;
    }
    out += '</DicomAttribute>';
  }
  return out;
}

function valueXml(vr: string, value: DicomJsonValue, number: number): string {
  if (value === null) return '';
  if (typeof value === 'object') {
    // DICOM JSON objects are items (SQ) or person names (PN); nothing else is an object.
    if (vr === 'SQ')
      return `<Item number="${number}">${attributes(value as DicomJsonDataset)}</Item>`;
    return personName(value, number);
  }
  return `<Value number="${number}">${escape(String(value))}</Value>`;
}

const COMPONENTS = ['FamilyName', 'GivenName', 'MiddleName', 'NamePrefix', 'NameSuffix'];

function personName(pn: PersonNameValue, number: number): string {
  let out = `<PersonName number="${number}">`;
  for (const group of ['Alphabetic', 'Ideographic', 'Phonetic'] as const) {
    const text = pn[group];
    if (text === undefined || text === '') continue;
    out += `<${group}>`;
    text.split('^').forEach((component, i) => {
      const name = COMPONENTS[i];
      if (name && component !== '') out += `<${name}>${escape(component)}</${name}>`;
    });
    out += `</${group}>`;
  }
  return out + '</PersonName>';
}

/** XML 1.0 text and attribute escaping; characters XML cannot carry at all are dropped. */
function escape(text: string): string {
  return (
    text
      // XML 1.0 §2.2 Char: the allowed set is spelled out, tab/LF/CR included.
      // eslint-disable-next-line no-control-regex
      .replace(/[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '')
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
  );
}

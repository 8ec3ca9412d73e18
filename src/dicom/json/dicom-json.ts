/**
 * Small readers and a writer for the DICOM JSON Model (PS3.18 Annex F.2).
 */
import type { Tag } from '../tag.js';
import type { DicomJsonDataset, DicomJsonElement, PersonNameValue } from './types.js';

export type {
  DicomJsonDataset,
  DicomJsonElement,
  DicomJsonValue,
  PersonNameValue,
} from './types.js';

/** The element of `tag`, undefined when absent. */
export function getElement(ds: DicomJsonDataset, tag: Tag): DicomJsonElement | undefined {
  return Object.prototype.hasOwnProperty.call(ds, tag) ? ds[tag] : undefined;
}

/**
 * The `index`-th value of `tag` as a string (UIDs, codes, dates…); Person Names give their
 * Alphabetic group, numbers their decimal form. Undefined when absent or empty.
 */
export function getString(ds: DicomJsonDataset, tag: Tag, index = 0): string | undefined {
  const value = getElement(ds, tag)?.Value?.[index];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  if ('Alphabetic' in value || 'Ideographic' in value || 'Phonetic' in value) {
    const pn = value as PersonNameValue;
    return pn.Alphabetic ?? pn.Ideographic ?? pn.Phonetic;
  }
  return undefined;
}

/** The `index`-th value of `tag` as a number (IS, DS, US…), undefined when absent or not numeric. */
export function getNumber(ds: DicomJsonDataset, tag: Tag, index = 0): number | undefined {
  const value = getElement(ds, tag)?.Value?.[index];
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value.trim() !== '') {
    const n = Number(value);
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

/** The items of a sequence, [] when absent or empty. */
export function getItems(ds: DicomJsonDataset, tag: Tag): DicomJsonDataset[] {
  const element = getElement(ds, tag);
  if (element?.vr !== 'SQ' || !element.Value) return [];
  return element.Value.filter((v): v is DicomJsonDataset => typeof v === 'object' && v !== null);
}

/**
 * JSON text with attributes in ascending tag order at every level (PS3.18 F.2.2).
 * `JSON.stringify` alone cannot promise that: JavaScript puts keys that look like array
 * indexes ('60003000', '50000010') before all other keys.
 */
export function stringifyDicomJson(ds: DicomJsonDataset): string {
  const parts: string[] = [];
  for (const tag of Object.keys(ds).sort()) {
    const element = ds[tag];
    if (!element) continue;
    const fields = [`"vr":${JSON.stringify(element.vr)}`];
    if (element.Value !== undefined) {
      const values = element.Value.map((v) =>
        element.vr === 'SQ' && v !== null && typeof v === 'object'
          ? stringifyDicomJson(v as DicomJsonDataset)
          : JSON.stringify(v),
      );
      fields.push(`"Value":[${values.join(',')}]`);
    }
    if (element.InlineBinary !== undefined)
      fields.push(`"InlineBinary":${JSON.stringify(element.InlineBinary)}`);
    if (element.BulkDataURI !== undefined)
      fields.push(`"BulkDataURI":${JSON.stringify(element.BulkDataURI)}`);
    parts.push(`${JSON.stringify(tag)}:{${fields.join(',')}}`);
  }
  return `{${parts.join(',')}}`;
}

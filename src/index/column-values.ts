/**
 * Index column values read out of an instance's DICOM JSON (PS3.18 Annex F), and the canonical
 * JSON text the index compares stored attributes by. The DICOM JSON model itself (accessors,
 * stringify) is dicom/json/dicom-json.ts.
 */
import { getNumber, type DicomJsonDataset } from '../dicom/json/dicom-json.js';

/** First value as text: strings as they are, numbers formatted, PN as `Alphabetic=Ideographic=Phonetic`. */
export function firstText(ds: DicomJsonDataset, tag: string): string | null {
  const value = ds[tag]?.Value?.[0];
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') return value === '' ? null : value;
  if (typeof value === 'number') return String(value);
  if (typeof value === 'object' && !Array.isArray(value)) {
    const pn = value as Record<string, unknown>;
    if ('Alphabetic' in pn || 'Ideographic' in pn || 'Phonetic' in pn) {
      const joined = [pn['Alphabetic'], pn['Ideographic'], pn['Phonetic']]
        .map((c) => (typeof c === 'string' ? c : ''))
        .join('=')
        .replace(/=+$/, '');
      return joined === '' ? null : joined;
    }
  }
  return null;
}

/** First value as a 32-bit integer (IS, US, UL…), or null when absent or not one. */
export function firstInteger(ds: DicomJsonDataset, tag: string): number | null {
  const n = getNumber(ds, tag);
  return n !== undefined && Number.isSafeInteger(n) && n >= -(2 ** 31) && n < 2 ** 31 ? n : null;
}

/** The subset of `ds` whose tags are in `tags`. */
export function pickAttributes(ds: DicomJsonDataset, tags: ReadonlySet<string>): DicomJsonDataset {
  const picked: DicomJsonDataset = {};
  for (const tag of Object.keys(ds)) {
    const element = ds[tag];
    if (element && tags.has(tag)) picked[tag] = element;
  }
  return picked;
}

/**
 * JSON text with object keys sorted at every level: equal for equal values whatever the key
 * order (jsonb hands objects back in its own order).
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

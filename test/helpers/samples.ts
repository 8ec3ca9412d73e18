import { readFileSync } from 'node:fs';
import { samplePath, samplesAvailable } from '../../src/dicom/testing/samples.js';

/** The shared sample set, resolved in src/dicom/testing/samples.ts (see its MANIFEST.md). */
export { samplesAvailable };

export interface Sample {
  file: string;
  expect: 'store' | 'reject' | 'either';
  ts: string | null;
  sha256: string;
  sop_instance: string | null;
  sop_class: string | null;
  series_instance: string | null;
  study_instance: string | null;
  frames: number | null;
  patient_id: string | null;
  modality: string | null;
}

/** Every row of manifest.json; none when the samples are absent (their suites skip). */
export const samples: Sample[] = samplesAvailable
  ? (JSON.parse(readFileSync(samplePath('manifest.json'), 'utf8')) as Sample[])
  : [];

export function sampleBytes(file: string): Buffer {
  return readFileSync(samplePath(file));
}

export function sample(file: string): Sample {
  const found = samples.find((s) => s.file === file);
  if (!found) throw new Error(`no sample ${file}`);
  return found;
}

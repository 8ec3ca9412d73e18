import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SAMPLES_DIR } from '../../src/dicom/testing/samples.js';

/** The shared sample set (STRATA_DICOM_SAMPLES; see its MANIFEST.md). */
export { SAMPLES_DIR };

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
}

export const samples: Sample[] = JSON.parse(
  readFileSync(join(SAMPLES_DIR, 'manifest.json'), 'utf8'),
) as Sample[];

export function sampleBytes(file: string): Buffer {
  return readFileSync(join(SAMPLES_DIR, file));
}

export function sample(file: string): Sample {
  const found = samples.find((s) => s.file === file);
  if (!found) throw new Error(`no sample ${file}`);
  return found;
}

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The shared sample set (see ../shared/dicom-samples/MANIFEST.md): STRATA_DICOM_SAMPLES as in
 * src/dicom/testing/samples.ts, else beside the checkout (a worktree elsewhere needs the env).
 */
const fromEnv = process.env['STRATA_DICOM_SAMPLES'];
export const SAMPLES_DIR = fromEnv
  ? join(fromEnv, '/')
  : fileURLToPath(new URL('../../../shared/dicom-samples/', import.meta.url));

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
  readFileSync(SAMPLES_DIR + 'manifest.json', 'utf8'),
) as Sample[];

export function sampleBytes(file: string): Buffer {
  return readFileSync(SAMPLES_DIR + file);
}

export function sample(file: string): Sample {
  const found = samples.find((s) => s.file === file);
  if (!found) throw new Error(`no sample ${file}`);
  return found;
}

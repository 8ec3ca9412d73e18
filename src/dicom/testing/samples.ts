/**
 * Test support for dicom/: the shared sample set and its manifest, and chunked sources.
 * Not a test file; imported by tests and the bench only.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The one place the sample folder is resolved: STRATA_DICOM_SAMPLES, else `../shared/dicom-samples`
 * beside the checkout (found from this file's location, not the working directory). The samples
 * are never committed; where they are absent the suites that need them are skipped.
 */
const configured =
  process.env['STRATA_DICOM_SAMPLES'] ||
  fileURLToPath(new URL('../../../../shared/dicom-samples', import.meta.url));

/** The sample folder, or undefined when it (its manifest.json) is not there. */
export const SAMPLES_DIR: string | undefined = existsSync(path.join(configured, 'manifest.json'))
  ? path.resolve(configured)
  : undefined;

/** For `describe.skipIf(!samplesAvailable)`: suites that read samples skip without them. */
export const samplesAvailable = SAMPLES_DIR !== undefined;

/** The file `file` of the sample folder; throws when there is none (a suite forgot to skip). */
export function samplePath(file: string): string {
  if (SAMPLES_DIR === undefined)
    throw new Error(
      'the DICOM sample folder is absent: set STRATA_DICOM_SAMPLES, or put it at ../shared/dicom-samples beside the checkout',
    );
  return path.join(SAMPLES_DIR, file);
}

/** One row of manifest.json (the fields tests use). */
export interface SampleFacts {
  file: string;
  size: number;
  preamble: boolean;
  has_meta: boolean;
  ts: string | null;
  rows: number | null;
  cols: number | null;
  frames: number | null;
  bits_alloc: number | null;
  spp: number | null;
  photometric: string | null;
  charset: string | null;
  sop_instance: string | null;
  series_instance: string | null;
  study_instance: string | null;
  pixel_element: string | null;
  expect: 'store' | 'reject' | 'either';
}

let manifest: SampleFacts[] | undefined;

/** manifest.json, or no rows when the samples are absent (so test tables still build, empty). */
export function loadManifest(): SampleFacts[] {
  if (!samplesAvailable) return [];
  manifest ??= JSON.parse(readFileSync(samplePath('manifest.json'), 'utf8')) as SampleFacts[];
  return manifest;
}

export function sampleFacts(file: string): SampleFacts {
  const facts = loadManifest().find((f) => f.file === file);
  if (!facts) throw new Error(`no sample ${file} in manifest.json`);
  return facts;
}

export function readSample(file: string): Uint8Array {
  return new Uint8Array(readFileSync(samplePath(file)));
}

/** Yields `bytes` in chunks whose sizes cycle through `sizes` (all ≥ 1). */
export async function* chunked(
  bytes: Uint8Array,
  sizes: readonly number[] = [bytes.length],
): AsyncGenerator<Uint8Array> {
  yield* await Promise.resolve(slices(bytes, sizes));
}

function* slices(bytes: Uint8Array, sizes: readonly number[]): Generator<Uint8Array> {
  let at = 0;
  let i = 0;
  while (at < bytes.length) {
    const size = Math.max(1, sizes[i % sizes.length] ?? bytes.length);
    yield bytes.subarray(at, at + size);
    at += size;
    i++;
  }
}

/**
 * Test support for dicom/: the shared sample set and its manifest, and chunked sources.
 * Not a test file; imported by tests and the bench only.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

export const SAMPLES_DIR = process.env['STRATA_DICOM_SAMPLES'] ?? '/work/shared/dicom-samples';

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

export function loadManifest(): SampleFacts[] {
  manifest ??= JSON.parse(
    readFileSync(path.join(SAMPLES_DIR, 'manifest.json'), 'utf8'),
  ) as SampleFacts[];
  return manifest;
}

export function sampleFacts(file: string): SampleFacts {
  const facts = loadManifest().find((f) => f.file === file);
  if (!facts) throw new Error(`no sample ${file} in manifest.json`);
  return facts;
}

export function readSample(file: string): Uint8Array {
  return new Uint8Array(readFileSync(path.join(SAMPLES_DIR, file)));
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

/**
 * One import run: every listed file is probed (Part 10? SOP Instance UID? SHA-256?) and handed
 * to the target by `concurrency` workers; a target that sends batches (remote STOW-RS) gets
 * them filled up to its limits per worker. Results go to the progress output and the tally.
 */
import type { Readable } from 'node:stream';
import { probe, type Probe } from './probe.js';
import type { Progress } from './progress.js';
import { NOT_DICOM } from './reasons.js';
import type { SourceFile } from './sources.js';
import type { FileResult, Tally } from './tally.js';

export interface ProbedFile {
  file: SourceFile;
  probe: Exclude<Probe, { kind: 'not-dicom' }>;
}

export interface ImportTarget {
  /** The most files and bytes one `store` call takes (local: one file). */
  batch: { files: number; bytes: number };
  /** One result per file, in order. Throws only when the run cannot go on. */
  store(files: ProbedFile[]): Promise<FileResult[]>;
}

export async function runImport(
  files: readonly SourceFile[],
  target: ImportTarget,
  { concurrency, progress, tally }: { concurrency: number; progress: Progress; tally: Tally },
): Promise<void> {
  let next = 0;
  // The first error that stops one worker stops the others before their next file.
  let failed = false;
  const report = (file: SourceFile, result: FileResult) => {
    tally.add(file.name, file.size, result);
    progress.file(file.name, file.size, result);
  };
  const send = async (batch: ProbedFile[]) => {
    if (batch.length === 0) return;
    const results = await target.store(batch);
    batch.forEach((probed, i) =>
      report(probed.file, results[i] ?? { status: 'refused', reason: 'no answer' }),
    );
  };
  const worker = async () => {
    let batch: ProbedFile[] = [];
    let bytes = 0;
    while (next < files.length && !failed) {
      const file = files[next++]!;
      let probed: Probe;
      try {
        probed = await probe(() => file.open());
      } catch (error) {
        report(file, { status: 'refused', reason: `unreadable: ${messageOf(error)}` });
        continue;
      }
      if (probed.kind === 'not-dicom') {
        report(file, { status: 'refused', reason: NOT_DICOM });
        continue;
      }
      if (batch.length > 0 && bytes + file.size > target.batch.bytes) {
        await send(batch);
        batch = [];
        bytes = 0;
      }
      batch.push({ file, probe: probed });
      bytes += file.size;
      if (batch.length >= target.batch.files) {
        await send(batch);
        batch = [];
        bytes = 0;
      }
    }
    await send(batch);
  };
  await Promise.all(
    Array.from({ length: Math.max(1, concurrency) }, () =>
      worker().catch((error: unknown) => {
        failed = true;
        throw error;
      }),
    ),
  );
}

/** An error as one line for the person running the command. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export type { Readable };

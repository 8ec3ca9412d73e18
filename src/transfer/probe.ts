/**
 * What an import needs to know of a file before sending it: whether it is a Part 10 file at
 * all, its SOP Instance UID (to ask the target whether it is stored) and the SHA-256 of its
 * bytes as Strata stores them (preamble zeroed, services/store-instances.ts), to tell an
 * identical copy from a changed one. One read; the file is read again only if it is sent.
 */
import type { Readable } from 'node:stream';
import { NotPart10Error } from '../dicom/errors.js';
import { getString } from '../dicom/json/dicom-json.js';
import { zeroPreamble } from '../dicom/part10/preamble.js';
import { scanPart10 } from '../dicom/part10/scan.js';
import { createHash } from 'node:crypto';

export type Probe =
  | { kind: 'dicom'; sopInstanceUid: string; sha256: string; size: number }
  /** No DICM prefix at byte 128 (PS3.10 §7.1): not sent. */
  | { kind: 'not-dicom' }
  /** Something else the scanner refused: the target decides (and says why). */
  | { kind: 'unknown' };

export async function probe(open: () => Promise<Readable>): Promise<Probe> {
  const source = (await open()).pipe(zeroPreamble());
  const hash = createHash('sha256');
  let size = 0;
  const chunks = (async function* () {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      hash.update(chunk);
      size += chunk.length;
      yield chunk;
    }
  })();
  try {
    const scan = await scanPart10(chunks, { maxHeaderBytes: 64 * 1024 * 1024 });
    // The scanner may stop before the end (trailing padding): hash the rest too.
    for await (const chunk of chunks) void chunk;
    const sopInstanceUid = getString(scan.dataset, '00080018');
    if (sopInstanceUid === undefined) return { kind: 'unknown' };
    return { kind: 'dicom', sopInstanceUid, sha256: hash.digest('hex'), size };
  } catch (error) {
    if (error instanceof NotPart10Error) return { kind: 'not-dicom' };
    return { kind: 'unknown' };
  } finally {
    source.destroy();
  }
}

/**
 * WADO-RS Retrieve Bulk Data (PS3.18 10.4.1.1.5): the value of one element that the metadata
 * carries as a BulkDataURI, located by the offsets recorded at ingest and read by byte range.
 * Values are little endian (PS3.18 8.7.3: bulk data is sent as in Explicit VR LE): values of a
 * big-endian file are swapped by VR, which, like inflating a deflated file, needs the (range
 * of the) value in memory — the two documented exceptions to streaming.
 */
import type { Readable } from 'node:stream';
import { Readable as NodeReadable } from 'node:stream';
import { findTransferSyntax } from '../dicom/transfer-syntax.js';
import type { BulkDataRef } from '../dicom/part10/layout.js';
import { swapWordSize } from '../dicom/vr.js';
import type { InstanceRow } from '../index/retrieve.repository.js';
import type { BlobStore } from '../storage/blob-store.js';
import { BulkDataNotFoundError, RangeNotSatisfiableError } from './errors.js';
import { storeOf, swapByVr } from './frame-source.js';
import type { InstanceLookup } from './instance-lookup.js';
import type { AccessRecorder } from './retrieve-access.js';
import { readSpans } from './retrieve-bytes.js';

export interface RetrieveBulkDataDeps {
  lookup: InstanceLookup;
  stores: ReadonlyMap<string, BlobStore>;
  access?: AccessRecorder | undefined;
}

/** Inclusive byte bounds inside the value (RFC 9110 §14.1.2). */
export interface ValueRange {
  start: number;
  end: number;
}

export interface BulkDataTarget {
  row: InstanceRow;
  ref: BulkDataRef;
}

export class RetrieveBulkData {
  constructor(private readonly deps: RetrieveBulkDataDeps) {}

  /** The instance and the element at `path` (e.g. `7FE00010`, `00540016/0/00181079`). */
  async find(
    scope: { study: string; series: string; instance: string },
    path: string,
  ): Promise<BulkDataTarget> {
    const [row] = await this.deps.lookup.findRows(scope);
    const ref = row?.bulkData.find((r) => r.path === path.toUpperCase());
    if (!row || !ref) throw new BulkDataNotFoundError();
    return { row, ref };
  }

  /**
   * The value bytes, or `range` of them. The blob is opened before this resolves (an offline
   * tier fails here, before anything is sent).
   *
   * @throws RangeNotSatisfiableError (416) for a range that starts past the value.
   */
  async open(
    { row, ref }: BulkDataTarget,
    range: ValueRange | undefined,
    signal?: AbortSignal,
  ): Promise<Readable> {
    const start = range?.start ?? 0;
    const end = Math.min(range?.end ?? ref.length - 1, ref.length - 1);
    if (start >= ref.length && ref.length > 0) throw new RangeNotSatisfiableError(ref.length);
    const store = storeOf(this.deps.stores, row.storageTier);
    this.deps.access?.record([row.id]);
    if (ref.length === 0) return NodeReadable.from([]);
    const bigEndian = findTransferSyntax(row.transferSyntaxUid)?.littleEndian === false;
    if (!row.deflated && !bigEndian) {
      return store.get(row.blobKey, {
        range: { start: ref.offset + start, end: ref.offset + end },
        ...(signal ? { signal } : {}),
      });
    }
    // Whole words around the range, swapped, then cut to the range.
    const word = bigEndian ? swapWordSize(ref.vr) : 1;
    const from = start - (start % word);
    const to = Math.min(ref.length, end + 1 + ((word - ((end + 1) % word)) % word));
    const [bytes] = await readSpans(
      store,
      row,
      [{ offset: ref.offset + from, length: to - from }],
      signal,
    );
    const value = bigEndian
      ? swapByVr(bytes ?? new Uint8Array(0), ref)
      : (bytes ?? new Uint8Array(0));
    return NodeReadable.from([Buffer.from(value).subarray(start - from, end + 1 - from)]);
  }
}

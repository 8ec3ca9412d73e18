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
import { TransferSyntax } from '../dicom/uid.js';
import type { BulkDataRef } from '../dicom/part10/layout.js';
import { swapWordSize } from '../dicom/vr.js';
import type { InstanceRow } from '../index/retrieve.repository.js';
import type { BlobStore } from '../storage/blob-store.js';
import { BulkDataNotFoundError, RangeNotSatisfiableError } from './errors.js';
import { assertFrames, numberOfFramesOf, storeOf, swapByVr } from './frame-source.js';
import type { InstanceLookup, RetrieveScope } from './instance-lookup.js';
import { scopedTo, type Actor } from './actor.js';
import type { RetrieveAudit } from './audit-records.js';
import { etagOf, type Choice, type Choices, type Representation } from './representation.js';
import type { AccessRecorder } from './retrieve-access.js';
import { readSpans } from './retrieve-bytes.js';
import type { FrameOffer, RetrieveFrames } from './retrieve-frames.js';

export interface RetrieveBulkDataDeps {
  lookup: InstanceLookup;
  /** Encapsulated Pixel Data is served frame by frame. */
  frames: RetrieveFrames;
  stores: ReadonlyMap<string, BlobStore>;
  access?: AccessRecorder | undefined;
  audit: RetrieveAudit;
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

export interface BulkDataChoice extends Choice<FrameOffer> {
  /**
   * The part of the value asked for, given its size (undefined = all of it); called only for a
   * single-part answer, and only when the body is sent. May throw RangeNotSatisfiableError.
   */
  range?: ((size: number) => ValueRange | undefined) | undefined;
}

const OCTETS = 'application/octet-stream';
const SYNTAXES = [TransferSyntax.ExplicitVRLittleEndian, '*'];
/** Values are sent as in Explicit VR Little Endian (PS3.18 8.7.3). */
const PART_TYPE = `${OCTETS}; transfer-syntax=${TransferSyntax.ExplicitVRLittleEndian}`;

export class RetrieveBulkData {
  constructor(private readonly deps: RetrieveBulkDataDeps) {}

  /**
   * The element at `path` of one instance and what it can be sent as: `multipart/related;
   * type=application/octet-stream` by default, single-part `application/octet-stream` when
   * asked, and first when the request is `ranged` (a range is of one body, RFC 9110 §14).
   * Encapsulated Pixel Data is served frame by frame, as PS3.18 8.7.3.3.2 says compressed bulk
   * data is (no item headers).
   *
   * @throws BulkDataNotFoundError; for Pixel Data shorter than its image geometry, the frame
   *   errors of assertFrames (a viewer could not tell a cut body from a whole one).
   */
  async prepare(
    scope: { study: string; series: string; instance: string },
    path: string,
    ranged: boolean,
    actor: Actor,
  ): Promise<Choices<FrameOffer, BulkDataChoice>> {
    const scoped = scopedTo(scope, actor);
    const target = await this.find(scoped, path);
    const { row, ref } = target;
    const audited = (choices: Choices<FrameOffer, BulkDataChoice>) =>
      this.deps.audit.choices(choices, actor, 'instances-transferred', [row], { instances: 1 });
    if (row.pixelData && ref.path === row.pixelData.tag) {
      const instance = await this.deps.lookup.findForFrames(scoped);
      const all = Array.from({ length: numberOfFramesOf(instance) }, (_, i) => i + 1);
      assertFrames(instance, all);
      if (row.pixelData.kind === 'encapsulated')
        return audited(this.deps.frames.choices(instance, all));
    }
    const single: FrameOffer = { type: OCTETS, transferSyntaxes: SYNTAXES, multipart: false };
    const multi: FrameOffer = {
      type: 'multipart/related',
      params: { type: OCTETS },
      transferSyntaxes: SYNTAXES,
      multipart: true,
    };
    return audited({
      offers: ranged ? [single, multi] : [multi, single],
      choose: (choice) => this.represent(target, choice),
    });
  }

  private represent(target: BulkDataTarget, choice: BulkDataChoice): Representation {
    const { row, ref } = target;
    const { offer, signal } = choice;
    return {
      etag: etagOf(['bulk', row.id, row.version, row.sha256, ref.path, offer.type]),
      revalidate: false,
      byteRanges: true,
      open: async () => {
        const range = offer.multipart ? undefined : choice.range?.(ref.length);
        const body = await this.open(target, range, signal);
        if (offer.multipart)
          return { kind: 'multipart', type: OCTETS, parts: [{ mediaType: PART_TYPE, body }] };
        return range
          ? { kind: 'single', mediaType: PART_TYPE, body, range: { ...range, size: ref.length } }
          : { kind: 'single', mediaType: PART_TYPE, body, length: ref.length };
      },
    };
  }

  /** The instance and the element at `path` (e.g. `7FE00010`, `00540016/0/00181079`). */
  async find(
    scope: RetrieveScope & { series: string; instance: string },
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

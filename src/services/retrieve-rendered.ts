/**
 * WADO-RS Retrieve Rendered and Retrieve Thumbnail (PS3.18 §10.4.1.1.3 and §10.4.1.1.5 /
 * Table 10.4.1-x; rendering rules §8.3.5): one stored frame is read by byte range, decoded
 * (imaging/decode.ts) and rendered (imaging/render.ts) to JPEG, PNG or WebP.
 *
 * Study and series resources are represented by one image: the middle instance (by the
 * lookup's order: series number, instance number) of the first series that has pixel data,
 * frame 1. Instance resources render frame 1; frame resources render the one frame named.
 */
import { createHash } from 'node:crypto';
import { assertDecodable } from '../imaging/decode.js';
import { frameView } from '../imaging/functional-groups.js';
import type { ImagingPool } from '../imaging/imaging-pool.js';
import { pixelDescriptionOf } from '../imaging/pixel-description.js';
import { PALETTE_DATA_TAGS } from '../imaging/photometric.js';
import {
  assertRenderableSize,
  encodeImage,
  type EncodeOptions,
  type RenderedMediaType,
} from '../imaging/render.js';
import type { BlobStore } from '../storage/blob-store.js';
import { findTransferSyntax } from '../dicom/transfer-syntax.js';
import type { RenderParams } from '../imaging/render-params.js';
import type { ThumbnailCache } from '../imaging/thumbnail-cache.js';
import type { GrayFrameCache } from '../imaging/gray-frame-cache.js';
import { TransferSyntax } from '../dicom/uid.js';
import type { InstanceRow } from '../index/retrieve.repository.js';
import { InvalidFrameListError, NoPixelDataError } from './errors.js';
import { storeOf, swapByVr, type FrameSource } from './frame-source.js';
import { readSpans } from './retrieve-bytes.js';
import type { InstanceLookup, RetrieveScope } from './instance-lookup.js';
import { scopedTo, type Actor } from './actor.js';
import type { RetrieveAudit } from './audit-records.js';
import type { Offer, Representation } from './representation.js';
import type { StoredInstance } from './stored-instance.js';

// web/ may not import imaging/ (house style §3): what the routes need is re-exported here.
export { parseRenderParams } from '../imaging/render-params.js';
export type { RenderedMediaType } from '../imaging/render.js';

/** Thumbnails fit in this box unless the request's viewport says otherwise. */
export const THUMBNAIL_SIDE = 128;
/** Thumbnails are small and many: a lower default quality than full renders. */
export const THUMBNAIL_QUALITY = 75;

export type RenderKind = 'rendered' | 'thumbnail';

export interface ImageOffer extends Offer {
  type: RenderedMediaType;
}

/** PS3.18 Table 8.7.4-1: image/jpeg is the default rendered media type; the first offer wins ties. */
export const RENDERED_OFFERS: readonly ImageOffer[] = [
  { type: 'image/jpeg' },
  { type: 'image/png' },
  { type: 'image/webp' },
];

export interface RenderRequest {
  scope: RetrieveScope;
  /** The `{frames}` path segment of a frame-level resource, unparsed. */
  frameList?: string | undefined;
  mediaType: RenderedMediaType;
  params: RenderParams;
  signal?: AbortSignal | undefined;
  /** Who asks: the patient scope of the lookup and the audit record. */
  actor: Actor;
}

export interface RetrieveRenderedDeps {
  lookup: InstanceLookup;
  frames: FrameSource;
  /** Every tier by name: palette LUT data stored as bulk data is read from the instance's tier. */
  stores: ReadonlyMap<string, BlobStore>;
  thumbnails: ThumbnailCache;
  /**
   * Grayscale frames already read and decoded, by content hash, version and frame: a request
   * for the same frame with another window (a viewer dragging window width/center) skips the
   * metadata query, the read and the decode.
   */
  grayFrames: GrayFrameCache;
  /**
   * Renders run in its slots (bounded at once, a bounded queue, 503 beyond): each holds a
   * decoded frame and its 8-bit copy, so a burst queues instead of multiplying memory. Decode
   * and windowing run on its worker threads, and so does the encode of a kept frame (sharp).
   */
  imaging: ImagingPool;
  audit: RetrieveAudit;
}

export class RetrieveRendered {
  constructor(private readonly deps: RetrieveRenderedDeps) {}

  /**
   * Resolves the resource to one frame of one stored instance.
   *
   * @throws ResourceNotFoundError / InvalidUidError from the lookup; InvalidFrameListError
   *   (400) for a bad or multi-frame list; FrameNotFoundError (404) beyond the frame count;
   *   NoPixelDataError (404) when nothing in scope has pixel data.
   */
  async prepare(kind: RenderKind, request: RenderRequest): Promise<Representation> {
    const frame = request.frameList === undefined ? 1 : singleFrame(request.frameList);
    const row = await this.representative(scopedTo(request.scope, request.actor));
    const params = kind === 'thumbnail' ? thumbnailParams(request.params) : request.params;
    const key = cacheKey(row, frame, request.mediaType, params);
    const etag = `"${createHash('sha256').update(key).digest('base64url').slice(0, 32)}"`;
    let rendering: Promise<Buffer> | undefined;
    const render = (): Promise<Buffer> =>
      (rendering ??= this.render(key, row, frame, params, request));
    const representation: Representation = {
      // Strong validator: content hash + version of the stored object, frame, parameters, type.
      etag,
      // The stored object may be replaced under the same URL: a cache revalidates (cheap: the
      // ETag is known before any pixel is read) rather than trusting an age.
      revalidate: true,
      // A frame kept decoded (or the image itself) needs no storage read: window and encode it
      // while the audit record is written, rather than after (a viewer dragging the window).
      start: () => {
        if (this.inMemory(key, row, frame)) render().catch(() => undefined); // open() reports it
      },
      open: async () => ({ kind: 'single', mediaType: request.mediaType, body: await render() }),
    };
    return this.deps.audit.representation(
      representation,
      request.actor,
      'instances-transferred',
      [row],
      { instances: 1, rendered: kind },
    );
  }

  private async render(
    key: string,
    row: InstanceRow,
    frame: number,
    params: RenderParams,
    request: RenderRequest,
  ): Promise<Buffer> {
    // Thumbnails and full renders alike: a viewer re-requests the image it shows (scrolling
    // back, a second viewport, a reload), and the key is the stored content's hash and version
    // with every parameter, so a hit is the same bytes a render would produce. A hit skips the
    // metadata query, the frame read, the decode and the encode (bench/compare.ts).
    const hit = this.deps.thumbnails.get(key);
    if (hit) return hit.body;
    const body = await this.renderRow(row, frame, params, request);
    this.deps.thumbnails.set(key, { body, mediaType: request.mediaType });
    return body;
  }

  /** True when the image, or its decoded frame, is in memory: rendering reads no storage. */
  private inMemory(key: string, row: InstanceRow, frame: number): boolean {
    return this.deps.thumbnails.has(key) || this.deps.grayFrames.has(frameKey(row, frame));
  }

  /** The instance a resource stands for (see the file comment), without its metadata. */
  private async representative(scope: RetrieveScope): Promise<InstanceRow> {
    const rows = await this.deps.lookup.findRows(scope);
    const images = rows.filter((r) => r.pixelData !== null);
    const first = images[0];
    if (!first) throw new NoPixelDataError();
    if (scope.instance !== undefined) return first;
    const series = images.filter((r) => r.seriesInstanceUid === first.seriesInstanceUid);
    return series[Math.floor((series.length - 1) / 2)] ?? first;
  }

  private async renderRow(
    row: InstanceRow,
    frame: number,
    params: RenderParams,
    request: RenderRequest,
  ): Promise<Buffer> {
    const grayKey = frameKey(row, frame);
    const gray = this.deps.grayFrames.get(grayKey);
    // Window and encode on the worker, whatever the size: the main thread meanwhile writes the
    // audit record (Representation.start), and the event loop stays free for large frames.
    if (gray)
      return this.deps.imaging.use(
        (worker) =>
          worker.encodeGray({
            gray,
            window: params.window,
            encode: encodeOptions(params, request),
          }),
        request.signal,
      );
    let instance: StoredInstance | undefined;
    for await (const batch of this.deps.lookup.withMetadata([row])) instance = batch[0];
    if (!instance) throw new NoPixelDataError();
    const description = pixelDescriptionOf(instance.metadata);
    assertRenderableSize(description);
    const syntax = frameSyntaxOf(instance);
    assertDecodable(syntax); // before any byte is read
    const stored = instance;
    // The slot spans the read, decode and encode: queued requests hold no pixels.
    return this.deps.imaging.use(async (worker) => {
      const [bytes] = await this.deps.frames.readFrames(stored, [frame], request.signal);
      if (!bytes) throw new NoPixelDataError();
      const lutData =
        description.photometricInterpretation === 'PALETTE COLOR'
          ? await this.paletteLutData(stored, request.signal)
          : undefined;
      const { image, gray } = await worker.display({
        frame: bytes,
        transferSyntaxUid: syntax,
        description,
        // Enhanced multi-frame objects carry window and rescale per frame (PS3.3 C.7.6.16).
        dataset: frameView(stored.metadata, frame),
        window: params.window,
        lutData,
      });
      if (gray) this.deps.grayFrames.set(grayKey, gray);
      return encodeImage(image, encodeOptions(params, request));
    }, request.signal);
  }

  /**
   * PS3.3 C.7.6.3.1.6: Palette Color LUT Data longer than the inline limit is recorded as bulk
   * data at ingest; read those values by their recorded byte ranges (little-endian on return).
   */
  private async paletteLutData(
    instance: StoredInstance,
    signal: AbortSignal | undefined,
  ): Promise<Map<string, Uint8Array>> {
    const refs = instance.bulkData.filter((ref) => PALETTE_DATA_TAGS.includes(ref.path));
    const out = new Map<string, Uint8Array>();
    if (refs.length === 0) return out;
    const store = storeOf(this.deps.stores, instance.storageTier);
    const values = await readSpans(store, instance, refs, signal);
    const bigEndian = findTransferSyntax(instance.transferSyntaxUid)?.littleEndian === false;
    refs.forEach((ref, i) => {
      const bytes = values[i] ?? new Uint8Array(0);
      out.set(ref.path, bigEndian ? swapByVr(bytes, ref) : bytes);
    });
    return out;
  }
}

function encodeOptions(params: RenderParams, request: RenderRequest): EncodeOptions {
  return { mediaType: request.mediaType, viewport: params.viewport, quality: params.quality };
}

/** The stored frame's identity: content hash and version, so a replaced instance never matches. */
function frameKey(row: InstanceRow, frame: number): string {
  return [row.sha256, row.version, row.blobKey, frame].join('|');
}

/**
 * FrameSource hands out native frames already little-endian and inflated (PS3.18 8.7.3), so
 * frames of Big Endian and Deflated files decode as Explicit VR Little Endian.
 */
function frameSyntaxOf(instance: StoredInstance): string {
  const ts = instance.transferSyntaxUid;
  if (
    ts === TransferSyntax.ExplicitVRBigEndian ||
    ts === TransferSyntax.DeflatedExplicitVRLittleEndian
  )
    return TransferSyntax.ExplicitVRLittleEndian;
  return ts;
}

/** PS3.18 §8.3.5 (rendered frames): one frame, a positive integer. */
function singleFrame(list: string): number {
  const parts = list.split(',');
  if (parts.length !== 1)
    throw new InvalidFrameListError('a rendered or thumbnail frame resource renders one frame');
  const n = Number(parts[0]);
  if (!/^\d+$/.test(parts[0] ?? '') || !Number.isSafeInteger(n) || n < 1)
    throw new InvalidFrameListError('frame numbers are integers from 1');
  return n;
}

function thumbnailParams(params: RenderParams): RenderParams {
  return {
    ...params,
    viewport: params.viewport ?? { width: THUMBNAIL_SIDE, height: THUMBNAIL_SIDE },
    quality: params.quality ?? THUMBNAIL_QUALITY,
  };
}

/** Content hash and version: a replaced instance never matches an old key. */
function cacheKey(
  row: InstanceRow,
  frame: number,
  mediaType: string,
  params: RenderParams,
): string {
  return [row.sha256, row.version, row.blobKey, frame, mediaType, JSON.stringify(params)].join('|');
}

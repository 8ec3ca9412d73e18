/**
 * The stored bytes of frames (PS3.18 10.4.1.1.4 Retrieve Frames), read by byte range from the
 * instance's recorded tier using the pixel data layout recorded at ingest — never the whole
 * file (deflated files are the documented exception: they are inflated up to the last frame).
 */
import { getNumber, getString } from '../dicom/json/dicom-json.js';
import { pipeline, type Readable, type Transform } from 'node:stream';
import { splitEncapsulatedFrames, type ByteRange } from '../dicom/frames/encapsulated.js';
import {
  nativeFrameBits,
  nativeFrameRange,
  type NativeImageGeometry,
} from '../dicom/frames/native.js';
import type { EncapsulatedPixelData, NativePixelData } from '../dicom/part10/layout.js';
import { findTransferSyntax } from '../dicom/transfer-syntax.js';
import { swapWordSize } from '../dicom/vr.js';
import type { BlobStore } from '../storage/blob-store.js';
import { StorageUnavailableError } from '../storage/errors.js';
import {
  FrameNotFoundError,
  FrameNotStoredError,
  InvalidFrameListError,
  NoPixelDataError,
  StoredLayoutError,
} from './errors.js';
import { exactLength, swapWordsStream } from './frame-stream.js';
import type { AccessRecorder } from './retrieve-access.js';
import { readSpans, type Span } from './retrieve-bytes.js';
import type { StoredInstance } from './stored-instance.js';

export interface FrameSourceDeps {
  /** Every tier by name; reads go to the instance's recorded tier. */
  stores: ReadonlyMap<string, BlobStore>;
  /** Notes the read for the HSM policy (before reading, so offline reads count too). */
  access?: AccessRecorder | undefined;
}

/** A frame streamed from storage: `length` bytes, little endian. */
export interface FrameStream {
  length: number;
  body: Readable;
}

export class FrameSource {
  constructor(private readonly deps: FrameSourceDeps) {}

  /**
   * Native frame n (1-based) as a stream of its stored byte range, swapped to little endian on
   * the way when the file is big endian: memory stays a few chunks whatever the frame size (a
   * 500 MB single-frame instance is never held whole). Undefined when the frame cannot be cut
   * from the blob as a plain range: encapsulated or deflated pixel data, or 1-bit frames that
   * share bytes with their neighbours — readFrames serves those.
   * The storage read is opened before this resolves: a missing blob or offline tier rejects
   * here, before any status line is sent.
   *
   * @throws as readFrames.
   */
  async openFrame(
    instance: StoredInstance,
    frame: number,
    signal?: AbortSignal,
  ): Promise<FrameStream | undefined> {
    const layout = instance.pixelData;
    assertFrames(instance, [frame]);
    if (layout?.kind !== 'native' || instance.deflated) return undefined;
    const range = nativeFrameRange(
      layout,
      frame - 1,
      geometryOf(instance, numberOfFramesOf(instance)),
    );
    if (range.bitOffset !== 0 || range.bitLength % 8 !== 0 || range.length === 0) return undefined;
    const store = storeOf(this.deps.stores, instance.storageTier);
    this.deps.access?.record([instance.id]);
    const stored = await store.get(instance.blobKey, {
      range: { start: range.offset, end: range.offset + range.length - 1 },
      ...(signal ? { signal } : {}),
    });
    const size = swapWordSize(layout.vr);
    const bigEndian = findTransferSyntax(instance.transferSyntaxUid)?.littleEndian === false;
    const stages: Transform[] = [exactLength(range.length)];
    if (bigEndian && (size === 2 || size === 4 || size === 8)) stages.push(swapWordsStream(size));
    // The callback form returns the last stage: it carries any error to the consumer, and
    // destroying it (client gone) destroys the storage read.
    const body: Readable = pipeline([stored, ...stages], () => undefined) as Transform;
    return { length: range.length, body };
  }

  /**
   * The stored bytes of each requested frame (1-based numbers), in request order. Native frames
   * of big-endian files are byte-swapped to little endian by VR (PS3.18 8.7.3: frames on the web
   * are little endian); encapsulated frames are the concatenated fragments of the frame (no item
   * headers, PS3.18 8.7.3.5.1).
   *
   * @throws InvalidFrameListError (400) for frame numbers below 1 or not integers;
   *   FrameNotFoundError (404) beyond NumberOfFrames; FrameNotStoredError (404) beyond what the
   *   stored pixel data holds; NoPixelDataError (404) without pixel data.
   */
  async readFrames(
    instance: StoredInstance,
    frames: number[],
    signal?: AbortSignal,
  ): Promise<Uint8Array[]> {
    const layout = instance.pixelData;
    assertFrames(instance, frames);
    if (!layout) throw new NoPixelDataError();
    const count = numberOfFramesOf(instance);
    const store = storeOf(this.deps.stores, instance.storageTier);
    this.deps.access?.record([instance.id]);
    if (layout.kind === 'native') {
      const geometry = geometryOf(instance, count);
      const ranges = frames.map((n) => nativeFrameRange(layout, n - 1, geometry));
      const data = await readSpans(store, instance, ranges, signal);
      const bigEndian = findTransferSyntax(instance.transferSyntaxUid)?.littleEndian === false;
      return data.map((bytes, i) => {
        const range = ranges[i] as (typeof ranges)[number];
        // Packed 1-bit frames share their first/last byte with the neighbours: cut those bits off.
        const aligned =
          range.bitOffset === 0 && range.bitLength % 8 === 0
            ? bytes
            : shiftBits(bytes, range.bitOffset, range.bitLength);
        return bigEndian ? swapByVr(aligned, layout) : aligned;
      });
    }
    const perFrame = encapsulatedFramesOf(layout, count);
    // One range read per frame: from the first fragment to the end of the last (fragments of a
    // frame are consecutive items), then the item headers between them are cut out.
    const wanted = frames.map((n) => perFrame[n - 1] ?? []);
    const spans: Span[] = wanted.map((fragments) => {
      const first = fragments[0];
      const last = fragments[fragments.length - 1];
      if (!first || !last) return { offset: 0, length: 0 };
      return { offset: first.offset, length: last.offset + last.length - first.offset };
    });
    const data = await readSpans(store, instance, spans, signal);
    return data.map((bytes, i) => {
      const fragments = wanted[i] ?? [];
      if (fragments.length <= 1) return bytes;
      const base = fragments[0]?.offset ?? 0;
      return Buffer.concat(
        fragments.map((f) => bytes.subarray(f.offset - base, f.offset - base + f.length)),
      );
    });
  }
}

/**
 * Checks a frame list against an instance before anything is read or sent, so a frame that
 * cannot be served is a problem response, never a 200 cut short.
 *
 * @throws NoPixelDataError (404), InvalidFrameListError (400), FrameNotFoundError (404),
 *   FrameNotStoredError (404) for a frame the stored pixel data is too short to hold,
 *   StoredLayoutError (500) when the stored frames cannot be told apart.
 */
export function assertFrames(instance: StoredInstance, frames: readonly number[]): void {
  if (!instance.pixelData) throw new NoPixelDataError();
  const count = numberOfFramesOf(instance);
  for (const n of frames) {
    if (!Number.isSafeInteger(n) || n < 1)
      throw new InvalidFrameListError('frame numbers are integers from 1');
    if (n > count) throw new FrameNotFoundError(n, count);
  }
  const stored = storedFrameCount(instance, count);
  const missing = frames.find((n) => n > stored);
  if (missing !== undefined) throw new FrameNotStoredError(missing, stored, count);
}

/**
 * Whole frames the recorded pixel data holds. Senders do store objects whose pixel data is
 * shorter than Rows x Columns x SamplesPerPixel x BitsAllocated x NumberOfFrames declares
 * (PS3.3 C.7.6.3; native: PS3.5 §8.1.1), or with fewer fragments than frames (PS3.5 §A.4); they
 * are kept as sent, and only the frames they really hold are served.
 */
function storedFrameCount(instance: StoredInstance, count: number): number {
  const layout = instance.pixelData;
  if (!layout) return 0;
  if (layout.kind === 'encapsulated')
    return Math.min(count, encapsulatedFramesOf(layout, count).length);
  const bits = nativeFrameBits(geometryOf(instance, count));
  if (bits <= 0) throw new StoredLayoutError('the image geometry gives an empty frame');
  return Math.min(count, Math.floor((layout.length * 8) / bits));
}

/** The frames of encapsulated pixel data; more than declared is a layout we cannot trust. */
function encapsulatedFramesOf(layout: EncapsulatedPixelData, count: number): ByteRange[][] {
  let frames: ByteRange[][];
  try {
    frames = splitEncapsulatedFrames(layout, count);
  } catch (error) {
    throw new StoredLayoutError('frames cannot be told apart in the stored pixel data', {
      cause: error,
    });
  }
  if (frames.length > count)
    throw new StoredLayoutError('the stored pixel data holds more frames than it declares');
  return frames;
}

/** NumberOfFrames (0028,0008), 1 when absent (PS3.3 C.7.6.6). */
export function numberOfFramesOf(instance: StoredInstance): number {
  const n = instance.numberOfFrames ?? getNumber(instance.metadata, '00280008') ?? 1;
  return Number.isSafeInteger(n) && n > 0 ? n : 1;
}

export function storeOf(stores: ReadonlyMap<string, BlobStore>, tier: string): BlobStore {
  const store = stores.get(tier);
  if (!store) throw new StorageUnavailableError(`storage tier ${tier} is not configured`);
  return store;
}

function geometryOf(instance: StoredInstance, numberOfFrames: number): NativeImageGeometry {
  const ds = instance.metadata;
  return {
    rows: instance.rows ?? getNumber(ds, '00280010') ?? 0,
    columns: instance.columns ?? getNumber(ds, '00280011') ?? 0,
    samplesPerPixel: getNumber(ds, '00280002') ?? 1,
    bitsAllocated: instance.bitsAllocated ?? getNumber(ds, '00280100') ?? 0,
    photometricInterpretation: getString(ds, '00280004') ?? 'MONOCHROME2',
    numberOfFrames,
  };
}

/** PS3.5 §8.1.1: Bits Allocated 1 frames are packed; re-align one to start at bit 0 (LSB first). */
function shiftBits(bytes: Uint8Array, bitOffset: number, bitLength: number): Uint8Array {
  const out = new Uint8Array(Math.ceil(bitLength / 8));
  for (let i = 0; i < out.length; i++) {
    const lo = (bytes[i] ?? 0) >> bitOffset;
    const hi = ((bytes[i + 1] ?? 0) << (8 - bitOffset)) & 0xff;
    out[i] = lo | hi;
  }
  const spare = out.length * 8 - bitLength;
  if (spare > 0) out[out.length - 1] = (out[out.length - 1] ?? 0) & (0xff >> spare);
  return out;
}

/** PS3.5 §7.3: big-endian values are swapped by their VR's word size (OB is bytes). */
export function swapByVr(bytes: Uint8Array, layout: Pick<NativePixelData, 'vr'>): Uint8Array {
  const size = swapWordSize(layout.vr);
  if (size === 1) return bytes;
  return swapWords(bytes, size);
}

export function swapWords(bytes: Uint8Array, size: number): Uint8Array {
  const out = Buffer.from(bytes);
  // A trailing partial word (odd-length damage) is left as it is rather than failing the read.
  const whole = out.subarray(0, out.length - (out.length % size));
  if (size === 2) whole.swap16();
  else if (size === 4) whole.swap32();
  else if (size === 8) whole.swap64();
  return out;
}

/**
 * WADO-RS Retrieve Frames (PS3.18 10.4.1.1.4), and the frames of encapsulated Pixel Data asked
 * for as bulk data: one frame at a time, as stored (FrameSource) or decoded to native
 * little-endian samples (imaging/decode) when Explicit VR LE is asked of encapsulated pixel data.
 *
 * What is offered (PS3.18 8.7.3.3.2, Table 8.7.3-5):
 * - native pixel data: `application/octet-stream`, little endian (Explicit VR LE frames; a
 *   big-endian file's frames are swapped, an implicit or deflated file's are the same bytes);
 * - encapsulated: the stored codestream with its media type (`image/jpeg`, `image/jls`,
 *   `image/jp2`, `image/jphc`, `image/dicom-rle`, …) or as `application/octet-stream` with
 *   `transfer-syntax=*` (what OHIF asks for); decoded to native when Explicit VR LE is asked
 *   (or octet-stream without a transfer syntax) and the syntax is decodable, else 406.
 * `multipart/related` by default; single part when asked for and there is one frame.
 */
import { findTransferSyntax } from '../dicom/transfer-syntax.js';
import { TransferSyntax } from '../dicom/uid.js';
import { canDecode } from '../imaging/decode.js';
import type { ImagingPool } from '../imaging/imaging-pool.js';
import { pixelDescriptionOf, type PixelDescription } from '../imaging/pixel-description.js';
import { assertRenderableSize } from '../imaging/render.js';
import { NotAcceptableError } from './errors.js';
import { assertFrames, type FrameSource, type FrameStream } from './frame-source.js';
import type { InstanceLookup, RetrieveScope } from './instance-lookup.js';
import { scopedTo, type Actor } from './actor.js';
import type { RetrieveAudit } from './audit-records.js';
import {
  etagOf,
  type Choice,
  type Choices,
  type Offer,
  type Representation,
  type RepresentationBody,
  type RepresentationPart,
} from './representation.js';
import type { StoredInstance } from './stored-instance.js';

const OCTETS = 'application/octet-stream';
const ELE = TransferSyntax.ExplicitVRLittleEndian;

export interface FrameOffer extends Offer {
  multipart: boolean;
}

export interface RetrieveFramesDeps {
  lookup: InstanceLookup;
  frames: FrameSource;
  /** Decoding runs on its worker threads, within its concurrency bound. */
  imaging: ImagingPool;
  audit: RetrieveAudit;
}

export class RetrieveFrames {
  constructor(private readonly deps: RetrieveFramesDeps) {}

  /**
   * The frames (1-based numbers) of one instance and what they can be sent as.
   *
   * @throws ResourceNotFoundError / InvalidUidError from the lookup; NoPixelDataError,
   *   FrameNotFoundError, FrameNotStoredError when a frame cannot be had.
   */
  async prepare(
    scope: RetrieveScope & { instance: string },
    frames: readonly number[],
    actor: Actor,
  ): Promise<Choices<FrameOffer>> {
    const instance = await this.deps.lookup.findForFrames(scopedTo(scope, actor));
    assertFrames(instance, frames);
    return this.deps.audit.choices(
      this.choices(instance, frames),
      actor,
      'instances-transferred',
      [instance],
      { instances: 1, frames: frames.length },
    );
  }

  /** As `prepare`, for an instance found and checked already (bulk data of Pixel Data). */
  choices(instance: StoredInstance, frames: readonly number[]): Choices<FrameOffer> {
    return {
      offers: offersFor(instance, frames.length),
      choose: (choice) => this.represent(instance, frames, choice),
    };
  }

  private represent(
    instance: StoredInstance,
    frames: readonly number[],
    { offer, transferSyntax, signal }: Choice<FrameOffer>,
  ): Representation {
    const partType = offer.params?.['type'] ?? offer.type;
    const asked = transferSyntax ?? offer.transferSyntaxes?.[0];
    const encapsulated = instance.pixelData?.kind === 'encapsulated';
    const decode = encapsulated && asked === ELE;
    if (decode && !canDecode(instance.transferSyntaxUid))
      throw new NotAcceptableError('the frames cannot be decoded to Explicit VR Little Endian', [
        '*',
      ]);
    const servedSyntax = encapsulated && !decode ? instance.transferSyntaxUid : ELE;
    const mediaType = `${partType}; transfer-syntax=${servedSyntax}`;
    return {
      etag: etagOf([
        'frames',
        instance.id,
        instance.version,
        instance.sha256,
        partType,
        servedSyntax,
        offer.type,
        ...frames,
      ]),
      revalidate: false,
      open: async (): Promise<RepresentationBody> => {
        const read = this.reader(instance, decode, signal);
        // The first frame is read before the status line: an offline tier is a 503, not a cut body.
        const first = await read(frames[0] ?? 1);
        const part = (frame: Uint8Array | FrameStream): RepresentationPart => ({
          mediaType,
          body: frame instanceof Uint8Array ? frame : frame.body,
        });
        if (!offer.multipart)
          return first instanceof Uint8Array
            ? { kind: 'single', mediaType, body: first }
            : { kind: 'single', mediaType, body: first.body, length: first.length };
        // One frame in memory (a compressed frame, the usual viewer request) is sent in one
        // piece; native frames stream from storage instead: they may be hundreds of MB.
        if (frames.length === 1 && first instanceof Uint8Array)
          return { kind: 'multipart', type: partType, parts: [part(first)] };
        async function* parts(): AsyncGenerator<RepresentationPart> {
          yield part(first);
          for (const n of frames.slice(1)) yield part(await read(n));
        }
        return { kind: 'multipart', type: partType, parts: parts() };
      },
    };
  }

  /**
   * A reader of frame n (1-based); `decode` turns encapsulated frames into native bytes. Native
   * frames that are a plain byte range come as a stream from storage (bounded memory); the
   * others (encapsulated, decoded, deflated, 1-bit) as bytes in memory.
   */
  private reader(
    instance: StoredInstance,
    decode: boolean,
    signal?: AbortSignal,
  ): (n: number) => Promise<Uint8Array | FrameStream> {
    let description: PixelDescription | undefined;
    let reads = 0;
    const { frames, imaging } = this.deps;
    return async (n) => {
      // The first frame is read before the status line; later ones continue a response under
      // way, so they wait for a decode slot rather than being refused (which would cut it).
      const admitted = reads++ > 0;
      if (!decode) {
        const streamed = await frames.openFrame(instance, n, signal);
        if (streamed) return streamed;
        const [bytes] = await frames.readFrames(instance, [n], signal);
        return bytes ?? new Uint8Array(0);
      }
      if (!description) {
        description = pixelDescriptionOf(instance.metadata);
        // One decoded frame is held in memory per slot: the rendering bound keeps that bounded.
        assertRenderableSize(description);
      }
      const described = description;
      // The slot spans the read too, so queued requests hold no frame bytes.
      return imaging.use(
        async (worker) => {
          const [bytes] = await frames.readFrames(instance, [n], signal);
          const decoded = await worker.decode(
            bytes ?? new Uint8Array(0),
            instance.transferSyntaxUid,
            described,
          );
          return asBytes(decoded.data);
        },
        signal,
        { admitted },
      );
    };
  }
}

function offersFor(instance: StoredInstance, frameCount: number): FrameOffer[] {
  const stored = instance.transferSyntaxUid;
  const single = frameCount === 1;
  const offers: FrameOffer[] = [];
  const add = (type: string, syntaxes: string[]): void => {
    offers.push({
      type: 'multipart/related',
      params: { type },
      transferSyntaxes: syntaxes,
      multipart: true,
    });
    if (single) offers.push({ type, transferSyntaxes: syntaxes, multipart: false });
  };
  if (instance.pixelData?.kind !== 'encapsulated') {
    add(OCTETS, [...new Set([ELE, '*', stored])]);
    return offers;
  }
  const mediaType = findTransferSyntax(stored)?.frameMediaType;
  if (mediaType && mediaType !== OCTETS) add(mediaType, [stored, '*']);
  const decodable = canDecode(stored);
  // octet-stream: the default syntax is Explicit VR LE (decode); `*` or the stored UID = as stored.
  add(OCTETS, decodable ? [ELE, '*', stored] : ['*', stored]);
  return offers;
}

/**
 * Decoded data as a plain Uint8Array view: WASM codecs may hand back a Uint8ClampedArray, which
 * Buffer.concat and stream writers refuse.
 */
export function asBytes(data: Uint8Array): Uint8Array {
  return data instanceof Uint8Array && data.constructor === Uint8Array
    ? data
    : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

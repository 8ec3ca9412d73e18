/**
 * GET …/instances/{i}/frames/{list} — Retrieve Frames (PS3.18 10.4.1.1.4), and the frames of
 * encapsulated Pixel Data asked for as bulk data. Each frame is read by byte range (FrameSource).
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
import type { Context } from 'hono';
import { findTransferSyntax } from '../dicom/transfer-syntax.js';
import { TransferSyntax } from '../dicom/uid.js';
import { InvalidFrameListError, NotAcceptableError } from '../services/errors.js';
import { assertFrames, type FrameStream } from '../services/frame-source.js';
import type { Services } from '../services/services.js';
import type { StoredInstance } from '../services/stored-instance.js';
import {
  newBoundary,
  writeMultipartRelated,
  type OutgoingPart,
} from './multipart/related-writer.js';
import { acceptOf, negotiateOrThrow, type Offer } from './negotiate.js';
import {
  cacheHeaders,
  etagOf,
  notModified,
  scopeOf,
  streamResponse,
  STREAM_AHEAD,
} from './representation.js';

const OCTETS = 'application/octet-stream';
const ELE = TransferSyntax.ExplicitVRLittleEndian;

/** `1,3,5` → [1, 3, 5]; PS3.18 10.4.1.1.4: positive integers, no duplicates. */
export function parseFrameList(text: string): number[] {
  const frames = text.split(',').map((part) => {
    if (!/^\d{1,9}$/.test(part.trim()))
      throw new InvalidFrameListError(
        'the frame list must be comma-separated frame numbers from 1',
      );
    return Number(part.trim());
  });
  if (new Set(frames).size !== frames.length)
    throw new InvalidFrameListError('the frame list repeats a frame number');
  return frames;
}

interface FrameOffer extends Offer {
  /** decode = encapsulated frames decoded to native. */
  decode?: boolean;
  multipart: boolean;
}

function offersFor(
  instance: StoredInstance,
  frameCount: number,
  canDecode: (ts: string) => boolean,
): FrameOffer[] {
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

export function framesHandler(services: Services) {
  return async (c: Context): Promise<Response> => {
    const scope = scopeOf(c);
    const frames = parseFrameList(c.req.param('frames') ?? '');
    const instance = await services.retrieve.lookup.findForFrames({
      ...scope,
      instance: scope.instance ?? '',
    });
    assertFrames(instance, frames);
    return framesResponse(c, services, instance, frames);
  };
}

/** The frames of `instance` as negotiated; shared with bulk data of encapsulated Pixel Data. */
export async function framesResponse(
  c: Context,
  services: Services,
  instance: StoredInstance,
  frames: number[],
): Promise<Response> {
  const offers = offersFor(instance, frames.length, (ts) => services.retrieve.frames.canDecode(ts));
  const negotiated = negotiateOrThrow(acceptOf(c.req), offers);
  const partType = negotiated.offer.params?.['type'] ?? negotiated.offer.type;
  const asked =
    negotiated.range.params['transfer-syntax'] ?? negotiated.offer.transferSyntaxes?.[0];
  const encapsulated = instance.pixelData?.kind === 'encapsulated';
  const decode = encapsulated && asked === ELE;
  if (decode && !services.retrieve.frames.canDecode(instance.transferSyntaxUid))
    throw new NotAcceptableError('the frames cannot be decoded to Explicit VR Little Endian', [
      '*',
    ]);
  const servedSyntax = encapsulated && !decode ? instance.transferSyntaxUid : ELE;

  const etag = etagOf([
    'frames',
    instance.id,
    instance.version,
    instance.sha256,
    partType,
    servedSyntax,
    negotiated.offer.type,
    ...frames,
  ]);
  const headers = {
    ...cacheHeaders(etag, true),
    // Viewers on another origin load frames as resources (PS3.18 8.10; Fetch CORP).
    'Cross-Origin-Resource-Policy': 'cross-origin',
  };
  const unchanged = notModified(c, etag, headers);
  if (unchanged) return unchanged;

  const signal = c.req.raw.signal;
  const read = services.retrieve.frames.reader(instance, decode, signal);
  const contentType = `${partType}; transfer-syntax=${servedSyntax}`;
  // The first frame is opened before the status line: an offline tier is a 503, not a cut body.
  const first = await read(frames[0] ?? 1);
  if (!negotiated.offer.multipart) {
    if (first instanceof Uint8Array)
      return new Response(first, {
        status: 200,
        headers: { ...headers, 'Content-Type': contentType },
      });
    return streamResponse(first.body, 200, {
      ...headers,
      'Content-Type': contentType,
      'Content-Length': String(first.length),
    });
  }
  const boundary = newBoundary();
  const multipartType = `multipart/related; type="${partType}"; boundary=${boundary}`;
  if (frames.length === 1 && first instanceof Uint8Array) {
    // The usual viewer request (one frame of a compressed image): the frame is in memory
    // already, so the body is built in one piece rather than streamed (no stream conversions on
    // the hot path). Native frames stream from storage instead: they may be hundreds of MB.
    const body = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Type: ${contentType}\r\n\r\n`, 'latin1'),
      first,
      Buffer.from(`\r\n--${boundary}--\r\n`, 'latin1'),
    ]);
    return new Response(body, {
      status: 200,
      headers: { ...headers, 'Content-Type': multipartType },
    });
  }
  const part = (frame: Uint8Array | FrameStream): OutgoingPart => ({
    headers: { 'Content-Type': contentType },
    body: frame instanceof Uint8Array ? frame : frame.body,
  });
  async function* parts(): AsyncGenerator<OutgoingPart> {
    yield part(first);
    for (const n of frames.slice(1)) yield part(await read(n));
  }
  return streamResponse(
    writeMultipartRelated(parts(), boundary, { highWaterMark: STREAM_AHEAD }),
    200,
    {
      ...headers,
      'Content-Type': multipartType,
    },
  );
}

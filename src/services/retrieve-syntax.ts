/**
 * Which transfer syntax an instance is served in, and how (PS3.18 8.7.3.5 and 8.7.3.3.2):
 * - `*` → as stored, never transcoded;
 * - no parameter → the media type's default, Explicit VR Little Endian, EXCEPT that data held
 *   only in a lossy compressed form is sent as stored (decoding would not restore what was lost
 *   and only multiplies the size; reference §2.2). Implicit VR LE and Explicit VR BE are never
 *   sent by default (PS3.18 8.7.3.5.2: not used in web services);
 * - an explicit UID → as stored when equal, Explicit VR LE by transcoding (uncompressed) or
 *   decoding (compressed, via imaging/decode); anything else is 406.
 */
import { findTransferSyntax, isLossyTransferSyntax } from '../dicom/transfer-syntax.js';
import { TransferSyntax } from '../dicom/uid.js';
import { canTranscodeToExplicitLittle } from '../dicom/part10/transcode.js';
import { canDecode } from '../imaging/decode.js';
import { NotAcceptableError } from './errors.js';

export type ServeMode = 'stored' | 'transcode' | 'decode';

export interface ServePlan {
  mode: ServeMode;
  /** The syntax of the bytes sent. */
  transferSyntaxUid: string;
}

const ELE = TransferSyntax.ExplicitVRLittleEndian;

/** True for lossy compression and for video (which has no decoded form here). */
export function isLossyOrVideo(transferSyntaxUid: string): boolean {
  if (isLossyTransferSyntax(transferSyntaxUid)) return true;
  return findTransferSyntax(transferSyntaxUid)?.frameMediaType?.startsWith('video/') ?? false;
}

/** How an instance stored in `stored` (with or without pixel data) is served for `requested`. */
export function planInstance(
  stored: string,
  requested: string | undefined,
  hasPixelData: boolean,
): ServePlan {
  if (requested === '*' || requested === stored)
    return { mode: 'stored', transferSyntaxUid: stored };
  if (requested === undefined && stored === ELE)
    return { mode: 'stored', transferSyntaxUid: stored };
  if (requested === undefined && isLossyOrVideo(stored))
    return { mode: 'stored', transferSyntaxUid: stored };
  if (requested === undefined || requested === ELE) {
    const info = findTransferSyntax(stored);
    if (info && !info.encapsulated && canTranscodeToExplicitLittle(stored))
      return { mode: 'transcode', transferSyntaxUid: ELE };
    // No pixel data: an encapsulated syntax only labels the (absent) pixels; rewriting the
    // header is all it takes.
    if (info?.encapsulated && !hasPixelData && canTranscodeToExplicitLittle(stored))
      return { mode: 'transcode', transferSyntaxUid: ELE };
    if (info?.encapsulated && canDecode(stored)) return { mode: 'decode', transferSyntaxUid: ELE };
    throw new NotAcceptableError(
      `an instance is stored in ${info?.name ?? 'a transfer syntax'} (${stored}), which this server cannot convert to Explicit VR Little Endian; ask for transfer-syntax=* to receive it as stored`,
      ['*', stored],
    );
  }
  throw new NotAcceptableError(
    `this server converts only to Explicit VR Little Endian (${ELE}); an instance is stored in ${stored}. Ask for transfer-syntax=${ELE}, transfer-syntax=* or the stored syntax`,
    ['*', ELE, stored],
  );
}

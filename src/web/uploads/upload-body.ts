import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { BadRequestError, UnsupportedMediaTypeError } from '../errors.js';
import { parseMediaType } from '../media-type.js';
import type { MultipartPart } from '../multipart/part.js';
import { readMultipartRelated } from '../multipart/related-reader.js';

const DICOM = 'application/dicom';

/** How a finished upload is read: one Part 10 instance, or a STOW multipart/related body. */
export type UploadKind = { kind: 'single' } | { kind: 'multipart'; boundary: string | undefined };

/**
 * The body kind an upload declares in its Upload-Metadata, checked at creation so that a type
 * we cannot ingest is refused before any byte is sent. Clients name it `filetype` (tus-js-client
 * and Uppy) or `contentType`; none, `application/dicom` or `application/octet-stream` mean one
 * Part 10 file (or a multipart body, recognised by its first line); `multipart/related` (of type
 * application/dicom, as STOW's) a multipart body whose boundary, when the metadata omits it, is
 * read from the body's first line.
 */
export function uploadKindOf(metadata: Record<string, string | null> | undefined): UploadKind {
  const declared =
    metadata?.['filetype'] ?? metadata?.['contentType'] ?? metadata?.['content-type'];
  if (!declared) return { kind: 'single' };
  const mediaType = parseMediaType(declared);
  switch (mediaType.type) {
    case DICOM:
    case 'application/octet-stream':
      return { kind: 'single' };
    case 'multipart/related': {
      const type = mediaType.params['type']?.toLowerCase();
      if (type !== undefined && type !== DICOM) {
        throw new UnsupportedMediaTypeError(
          `multipart/related of type "${type}" is not supported; upload type="application/dicom" parts`,
        );
      }
      return { kind: 'multipart', boundary: mediaType.params['boundary'] };
    }
    default:
      throw new UnsupportedMediaTypeError(
        `an upload holds one DICOM file (application/dicom) or a multipart/related STOW body, not ${mediaType.type}`,
      );
  }
}

/** PS3.10 7.1: 128-byte preamble, then "DICM". */
const MAGIC_OFFSET = 128;
const SNIFF_BYTES = 1024;

/**
 * The parts of a finished upload, streamed from its file: STOW reads them as it reads a request
 * body. A body undeclared or declared single that starts with a multipart delimiter line (and
 * has no Part 10 magic) is read as multipart, so a saved STOW request can be uploaded as is.
 */
export async function uploadParts(
  path: string,
  declared: UploadKind,
  maxParts: number,
): Promise<AsyncIterable<MultipartPart> | Iterable<MultipartPart>> {
  const head = await readHead(path);
  const sniffed = delimiterOf(head);
  const magic = head.subarray(MAGIC_OFFSET, MAGIC_OFFSET + 4).toString('latin1') === 'DICM';
  if (declared.kind === 'single' && (magic || sniffed === undefined)) {
    const body = createReadStream(path);
    return [{ index: 0, headers: { 'content-type': DICOM }, contentType: DICOM, body }];
  }
  const boundary = (declared.kind === 'multipart' ? declared.boundary : undefined) ?? sniffed;
  if (boundary === undefined) {
    throw new BadRequestError(
      'the multipart upload neither names its boundary nor starts with one',
    );
  }
  return readMultipartRelated(createReadStream(path), boundary, { maxParts });
}

async function readHead(path: string): Promise<Buffer> {
  const file = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(SNIFF_BYTES);
    const { bytesRead } = await file.read(buffer, 0, SNIFF_BYTES, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await file.close();
  }
}

/** RFC 2046 5.1.1: the body starts with `--boundary` (1–70 characters) and a line end. */
function delimiterOf(head: Buffer): string | undefined {
  const match = /^--([0-9A-Za-z'()+_,\-./:=? ]{1,70})\r?\n/.exec(head.toString('latin1'));
  return match?.[1]?.trimEnd();
}

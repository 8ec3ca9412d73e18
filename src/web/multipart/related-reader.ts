import type { Readable } from 'node:stream';
import { MultipartRelatedParser } from './related-parser.js';
import { PartSession, partsOf } from './part-session.js';
import { DEFAULT_MAX_PART_HEADER_BYTES } from './part.js';
import type { MultipartPart, MultipartReadOptions } from './part.js';

export type { MultipartPart, MultipartReadOptions } from './part.js';

/**
 * Streams the parts of a multipart/related body (RFC 2387; STOW-RS, PS3.18 §10.5), one at a
 * time, never holding a whole part: memory stays within one request chunk, the delimiter
 * length, one part's header block and the part body's high-water mark.
 *
 * Read each part's `body` to its end (or resume()/destroy() it) before asking for the next
 * part. Errors (errors.ts): NoPartsError, TruncatedMultipartError (the part being read is also
 * destroyed with it), BadPartHeadersError, TooManyPartsError, InvalidBoundaryError; errors of
 * `body` itself pass through unchanged. Leaving the loop early drains the rest of `body`.
 *
 * Line endings: see MultipartRelatedParser (bare LF tolerated on boundary and header lines, never
 * as the delimiter before a boundary).
 */
export async function* readMultipartRelated(
  body: Readable,
  boundary: string,
  options: MultipartReadOptions = {},
): AsyncGenerator<MultipartPart> {
  yield* partsOf(new RelatedSession(body, boundary, options));
}

class RelatedSession extends PartSession {
  readonly #parser: MultipartRelatedParser;

  constructor(body: Readable, boundary: string, options: MultipartReadOptions) {
    super(body);
    this.#parser = new MultipartRelatedParser(
      boundary,
      {
        maxPartHeaderBytes: options.maxPartHeaderBytes ?? DEFAULT_MAX_PART_HEADER_BYTES,
        maxParts: options.maxParts ?? Infinity,
      },
      {
        onPart: (index, headers) => void this.addPart(index, headers),
        onData: (chunk) => this.current?.feed(chunk),
        onPartEnd: () => this.endPart(),
        onClose: () => this.finish(),
      },
    );
  }

  protected override write(chunk: Buffer): void {
    this.#parser.push(chunk);
  }

  protected override sourceEnded(): void {
    this.#parser.end();
  }
}

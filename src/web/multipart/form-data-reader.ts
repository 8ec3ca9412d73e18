import type { Readable } from 'node:stream';
import busboy from 'busboy';
import type { Busboy } from 'busboy';
import { formatMediaType, MediaTypeError, parseMediaType } from '../media-type.js';
import { PartSession, partsOf } from './part-session.js';
import type { MultipartPart, MultipartReadOptions } from './part.js';
import {
  BadPartHeadersError,
  InvalidBoundaryError,
  NoPartsError,
  TooManyPartsError,
  TruncatedMultipartError,
} from './errors.js';

/**
 * Streams the file fields of a multipart/form-data body (RFC 7578; browser uploads to STOW),
 * each file one part whose `contentType` is the file's declared type. Non-file fields are
 * ignored. Same consumption contract and errors as readMultipartRelated; busboy's errors are
 * re-thrown as ours. `maxPartHeaderBytes` is not adjustable here: busboy caps a header block at
 * 16 KiB itself.
 */
export async function* readMultipartFormData(
  body: Readable,
  contentType: string,
  options: MultipartReadOptions = {},
): AsyncGenerator<MultipartPart> {
  yield* partsOf(new FormDataSession(body, contentType, options));
}

/** Field values are dropped; keep busboy from buffering more than this of each. */
const IGNORED_FIELD_BYTES = 1024;

class FormDataSession extends PartSession {
  readonly #busboy: Busboy;
  #needDrain = false;
  #files = 0;
  #sawPart = false;

  constructor(body: Readable, contentType: string, options: MultipartReadOptions) {
    super(body);
    const mediaType = parseMediaType(contentType);
    if (mediaType.type !== 'multipart/form-data') {
      throw new MediaTypeError('expected multipart/form-data', 0);
    }
    const boundary = mediaType.params['boundary'];
    if (boundary === undefined || boundary === '') {
      throw new InvalidBoundaryError('the media type has no boundary parameter');
    }
    const maxParts = options.maxParts ?? Infinity;
    // busboy gets the media type as we read it, so the two can never disagree on the boundary.
    this.#busboy = busboy({
      headers: { 'content-type': formatMediaType(mediaType.type, { boundary }) },
      limits: {
        fieldSize: IGNORED_FIELD_BYTES,
        ...(maxParts < Infinity ? { files: maxParts } : {}),
      },
    });
    const bb = this.#busboy;
    bb.on('file', (_name, file, info) => this.#onFile(file, info.mimeType));
    bb.on('field', () => {
      this.#sawPart = true;
    });
    bb.on('filesLimit', () => this.fail(new TooManyPartsError(maxParts)));
    bb.on('error', (err) => this.fail(this.#translate(err)));
    bb.on('drain', () => {
      this.#needDrain = false;
      this.wake();
    });
    bb.on('close', () => {
      if (this.#files === 0)
        this.fail(new NoPartsError('multipart/form-data body has no file parts'));
      else this.finish();
    });
  }

  protected override write(chunk: Buffer): void {
    if (!this.#busboy.write(chunk)) this.#needDrain = true;
  }

  protected override sourceEnded(): void {
    this.#busboy.end();
  }

  protected override blocked(): boolean {
    return this.#needDrain;
  }

  protected override released(): void {
    // Stops busboy's parsing; its "Unexpected end of form" then goes to a failed or done session.
    this.#busboy.destroy();
  }

  #onFile(file: Readable, mimeType: string): void {
    this.#sawPart = true;
    const index = this.#files++;
    const body = this.addPart(index, { 'content-type': mimeType }, () => {
      file.resume();
      this.wake();
    });
    file.on('data', (chunk: Buffer) => {
      body.feed(chunk);
      if (!body.wantsData) file.pause();
    });
    // busboy may already be on the next file while this one's buffered bytes drain through.
    file.on('end', () => this.endPart(body));
    file.on('error', (err: unknown) => this.fail(this.#translate(err)));
  }

  /** busboy reports with plain Errors; their messages are its API (busboy 1.x lib/types/multipart.js). */
  #translate(err: unknown): unknown {
    const message = err instanceof Error ? err.message : '';
    const part = this.#files;
    switch (message) {
      case 'Unexpected end of form':
      case 'Unexpected end of file':
        if (!this.#sawPart) return new NoPartsError();
        return new TruncatedMultipartError(
          `form ended inside part ${Math.max(0, part - 1)}, before its closing boundary`,
          { cause: err },
        );
      case 'Malformed part header':
        return new BadPartHeadersError(part, `part ${part} has a malformed header block`, {
          cause: err,
        });
      default:
        return err;
    }
  }
}

import StreamSearch from 'streamsearch';
import { PartHeaderParser } from './part-headers.js';
import { BadPartHeadersError, InvalidBoundaryError, NoPartsError } from './errors.js';
import { TooManyPartsError, TruncatedMultipartError } from './errors.js';

export interface RelatedParserOptions {
  maxPartHeaderBytes: number;
  maxParts: number;
}

/** What the parser reports, synchronously and in body order. */
export interface RelatedParserEvents {
  /** A part's header block is complete; its body bytes follow. */
  onPart(index: number, headers: Record<string, string>): void;
  /** Body bytes of the current part; the buffer may be kept (it is never reused). */
  onData(chunk: Buffer): void;
  onPartEnd(index: number): void;
  /** The close delimiter: nothing after it (the epilogue) is looked at. */
  onClose(): void;
}

type State = 'preamble' | 'boundary-line' | 'headers' | 'body' | 'closed' | 'failed';
/** Where we are in the rest of a boundary line: `--boundary` then `--` or padding and CRLF. */
type LineState = 'start' | 'dash' | 'padding' | 'cr';

const CRLF = Buffer.from('\r\n', 'latin1');
const DASH = 0x2d;
const SP = 0x20;
const HTAB = 0x09;
const CR = 0x0d;
const LF = 0x0a;
/** RFC 2046 §5.1.1 allows 70 characters; some clients send more. Printable ASCII only. */
const BOUNDARY = /^[\x20-\x7e]{1,200}$/;

/**
 * A push parser for multipart/related bodies (RFC 2046 §5.1.1, RFC 2387), in memory bounded by
 * the chunk pushed, the delimiter length and one header block.
 *
 * The delimiter is CRLF "--" boundary (streamsearch, Boyer–Moore–Horspool across chunk edges).
 * Parsing starts as if a CRLF came before the body, so a body that opens with its first
 * boundary needs no preamble; a preamble, whatever it holds, is skipped.
 *
 * Bare LF is tolerated on the boundary line and in header lines, but not before a delimiter:
 * the CRLF before "--boundary" belongs to the delimiter (§5.1.1), so taking a lone LF there
 * would cut a byte off a part whose data ends in LF. A body that uses LF-only delimiters
 * therefore ends in a TruncatedMultipartError for its first part.
 */
export class MultipartRelatedParser {
  #state: State = 'preamble';
  #line: LineState = 'start';
  #lineBytes = 0;
  #index = 0;
  #headers: PartHeaderParser | undefined;
  readonly #search: StreamSearch;
  readonly #options: RelatedParserOptions;
  readonly #events: RelatedParserEvents;

  constructor(boundary: string, options: RelatedParserOptions, events: RelatedParserEvents) {
    if (!BOUNDARY.test(boundary)) {
      throw new InvalidBoundaryError('expected 1 to 200 printable ASCII characters');
    }
    this.#options = options;
    this.#events = events;
    // streamsearch 1.1.0 drops the bytes before a match that begins past the start of its
    // lookbehind buffer. The lookbehind always holds a prefix of the needle, and our needle's
    // only CR is its first byte (the boundary is printable ASCII), so no match can begin there.
    this.#search = new StreamSearch(
      Buffer.from(`\r\n--${boundary}`, 'latin1'),
      (match, data, s, e, safe) => {
        if (data !== undefined && e > s) this.#bytes(data, s, e, safe !== false);
        if (match) this.#delimiter();
      },
    );
    this.#search.push(CRLF);
  }

  get closed(): boolean {
    return this.#state === 'closed';
  }

  push(chunk: Buffer): void {
    if (this.#state === 'closed') return;
    if (this.#state === 'failed') throw new Error('push after a parse error');
    try {
      this.#search.push(chunk);
    } catch (err) {
      this.#state = 'failed';
      throw err;
    }
  }

  /** The body has ended: throws unless the close delimiter was seen. */
  end(): void {
    const n = this.#index;
    switch (this.#state) {
      case 'closed':
      case 'failed':
        return;
      case 'preamble':
        throw new NoPartsError();
      case 'boundary-line':
        throw new TruncatedMultipartError(`body ended on the boundary line before part ${n}`);
      case 'headers':
        throw new TruncatedMultipartError(`part ${n} ended inside its header block`);
      case 'body':
        throw new TruncatedMultipartError(`part ${n} ended before its closing boundary`);
    }
  }

  #bytes(data: Buffer, start: number, end: number, safe: boolean): void {
    let at = start;
    while (at < end) {
      switch (this.#state) {
        case 'preamble':
        case 'closed':
        case 'failed':
          return;
        case 'boundary-line':
          at = this.#boundaryLine(data, at, end);
          break;
        case 'headers': {
          const headers = this.#headers!;
          const bodyStart = headers.feed(data, at, end);
          if (bodyStart === -1) return;
          this.#state = 'body';
          this.#events.onPart(this.#index, headers.headers);
          this.#headers = undefined;
          at = bodyStart;
          break;
        }
        case 'body': {
          const bytes = data.subarray(at, end);
          // Unsafe data lives in streamsearch's lookbehind buffer, which it overwrites.
          this.#events.onData(safe ? bytes : Buffer.from(bytes));
          return;
        }
      }
    }
  }

  /** Consumes the rest of a boundary line; returns where it stopped. */
  #boundaryLine(data: Buffer, start: number, end: number): number {
    const n = this.#index;
    for (let i = start; i < end; i++) {
      const byte = data[i];
      if (++this.#lineBytes > this.#options.maxPartHeaderBytes) {
        throw new BadPartHeadersError(
          n,
          `part ${n} has a boundary line longer than the header limit`,
        );
      }
      if (this.#line === 'start' && byte === DASH) {
        this.#line = 'dash';
      } else if (this.#line === 'dash') {
        if (byte !== DASH) this.#badLine(n);
        // RFC 2046 §5.1.1: a multipart body holds one or more parts.
        if (n === 0)
          throw new NoPartsError('multipart body has no parts: it closes at its first boundary');
        this.#state = 'closed';
        this.#events.onClose();
        return end;
      } else if (
        (this.#line === 'start' || this.#line === 'padding') &&
        (byte === SP || byte === HTAB)
      ) {
        this.#line = 'padding'; // transport-padding, RFC 2046 §5.1.1
      } else if (this.#line !== 'cr' && byte === CR) {
        this.#line = 'cr';
      } else if (byte === LF) {
        this.#startHeaders(n);
        return i + 1;
      } else {
        this.#badLine(n);
      }
    }
    return end;
  }

  #startHeaders(n: number): void {
    if (n >= this.#options.maxParts) throw new TooManyPartsError(this.#options.maxParts);
    this.#state = 'headers';
    this.#headers = new PartHeaderParser(n, this.#options.maxPartHeaderBytes, this.#lineBytes);
  }

  #badLine(n: number): never {
    throw new BadPartHeadersError(n, `part ${n} has unexpected bytes after its boundary`);
  }

  #delimiter(): void {
    const n = this.#index;
    switch (this.#state) {
      case 'preamble':
        this.#enterBoundaryLine();
        return;
      case 'body':
        this.#events.onPartEnd(n);
        this.#index++;
        this.#enterBoundaryLine();
        return;
      case 'boundary-line':
      case 'headers':
        throw new BadPartHeadersError(
          n,
          `part ${n} meets the next boundary inside its header block`,
        );
      case 'closed':
      case 'failed':
        return;
    }
  }

  #enterBoundaryLine(): void {
    this.#state = 'boundary-line';
    this.#line = 'start';
    this.#lineBytes = 0;
  }
}

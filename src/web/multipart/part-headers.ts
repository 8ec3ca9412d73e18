import { BadPartHeadersError } from './errors.js';

const LF = 0x0a;
const CR = 0x0d;
/** RFC 9110 §5.6.2 tchar, for field names. */
const FIELD_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const decoder = new TextDecoder('utf-8');

/**
 * Collects one part's header block (RFC 2046 §5.1.1 / RFC 5322 §2.2 fields) from the bytes after
 * the boundary line, through the empty line that ends it. Holds at most `limit` bytes.
 *
 * Line endings: CRLF per the RFC, and bare LF tolerated (the CR before the LF is optional), as
 * hand-built bodies (shell scripts, some test tools) use LF in the header block. Folded lines
 * (obs-fold, a line starting with SP or HTAB) continue the previous field.
 * Values are decoded as UTF-8: what clients send today; header values we use are ASCII anyway.
 */
export class PartHeaderParser {
  /** Null prototype: a part may send a field named `constructor` or `__proto__`. */
  readonly headers: Record<string, string> = Object.create(null) as Record<string, string>;
  #line: Buffer[] = [];
  #lines = 0;
  #used = 0;
  #lastName: string | undefined;

  /** `used`: bytes of the boundary line already counted against `limit`. */
  constructor(
    readonly partIndex: number,
    readonly limit: number,
    used = 0,
  ) {
    this.#used = used;
  }

  /**
   * Consumes `data[start, end)`; returns the index just past the blank line that ends the block,
   * or -1 when the block goes on past `end`.
   */
  feed(data: Buffer, start: number, end: number): number {
    let pos = start;
    while (pos < end) {
      let lf = data.indexOf(LF, pos);
      if (lf >= end) lf = -1;
      const stop = lf === -1 ? end : lf + 1;
      this.#used += stop - pos;
      if (this.#used > this.limit) {
        throw new BadPartHeadersError(
          this.partIndex,
          `part ${this.partIndex} has a header block larger than ${this.limit} bytes`,
        );
      }
      if (lf === -1) {
        this.#line.push(Buffer.from(data.subarray(pos, end)));
        return -1;
      }
      const line = this.#takeLine(data.subarray(pos, lf));
      pos = lf + 1;
      if (line.length === 0) return pos;
      this.#addLine(line);
    }
    return -1;
  }

  #takeLine(tail: Buffer): Buffer {
    let line = this.#line.length === 0 ? tail : Buffer.concat([...this.#line, tail]);
    this.#line = [];
    if (line.length > 0 && line[line.length - 1] === CR) line = line.subarray(0, -1);
    return line;
  }

  #addLine(bytes: Buffer): void {
    this.#lines++;
    if (!bytes.every(isFieldByte)) this.#malformed('a control character');
    const text = decoder.decode(bytes);
    if (text.startsWith(' ') || text.startsWith('\t')) {
      // RFC 5322 §2.2.3 folding: the line continues the previous field.
      if (this.#lastName === undefined) this.#malformed('a continuation line with no field');
      this.headers[this.#lastName] = `${this.headers[this.#lastName]} ${text.trim()}`.trim();
      return;
    }
    const colon = text.indexOf(':');
    const name = colon === -1 ? '' : text.slice(0, colon);
    if (!FIELD_NAME.test(name)) this.#malformed('a line that is not "name: value"');
    const key = name.toLowerCase();
    const value = text.slice(colon + 1).trim();
    const previous = this.headers[key];
    this.headers[key] = previous === undefined ? value : `${previous}, ${value}`;
    this.#lastName = key;
  }

  #malformed(what: string): never {
    throw new BadPartHeadersError(
      this.partIndex,
      `part ${this.partIndex} has ${what} in header line ${this.#lines}`,
    );
  }
}

/** Field lines may hold HTAB, SP, VCHAR and obs-text (RFC 9110 §5.5); other bytes are garbage. */
function isFieldByte(byte: number): boolean {
  return byte === 0x09 || (byte >= 0x20 && byte !== 0x7f);
}

import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';

export interface OutgoingPart {
  /** Written in the given order and case; names and values may not hold CR or LF. */
  headers: Record<string, string>;
  body: Readable | Uint8Array;
}

/**
 * A multipart/related body (RFC 2046 §5.1.1, RFC 2387) as a byte Readable: for each part the
 * delimiter, its header block, then its body streamed through as it is read (backpressure comes
 * from the consumer: the next chunk is produced only when asked for), and at the end the close
 * delimiter followed by CRLF. The first delimiter has no CRLF before it (no preamble).
 *
 * The boundary is trusted not to occur in any body (newBoundary() makes that a 2^-192 chance);
 * bodies are not searched for it. Zero parts give a bare close delimiter, which RFC 2046 does
 * not allow: send a non-multipart answer instead.
 */
export function writeMultipartRelated(
  parts: AsyncIterable<OutgoingPart> | Iterable<OutgoingPart>,
  boundary: string,
  options: { highWaterMark?: number } = {},
): Readable {
  assertBoundary(boundary);
  const streaming: { body?: Readable } = {};
  const generator = generateMultipart(parts, boundary, streaming);
  // Destroying the output makes Readable.from await return()/throw() on the generator, which an
  // async generator only runs once its pending await settles: never, for a stalled part body.
  // Destroying that body first settles it.
  const release = (): void => void streaming.body?.destroy();
  const iterator: AsyncIterator<Buffer> = {
    next: () => generator.next(),
    return: (value?: unknown) => (release(), generator.return(value)),
    throw: (err?: unknown) => (release(), generator.throw(err)),
  };
  return Readable.from(
    { [Symbol.asyncIterator]: () => iterator },
    {
      objectMode: false,
      ...(options.highWaterMark ? { highWaterMark: options.highWaterMark } : {}),
    },
  );
}

/**
 * The same bytes as writeMultipartRelated, in one buffer, for parts already in memory (e.g. one
 * compressed frame): no stream machinery on the hot path of viewers.
 */
export function multipartRelatedBytes(
  parts: readonly (OutgoingPart & { body: Uint8Array })[],
  boundary: string,
): Buffer {
  assertBoundary(boundary);
  const chunks: Buffer[] = [];
  parts.forEach((part, i) => {
    chunks.push(Buffer.from(delimiterOf(boundary, i === 0) + headerBlock(part.headers), 'utf8'));
    chunks.push(Buffer.from(part.body.buffer, part.body.byteOffset, part.body.byteLength));
  });
  chunks.push(closeDelimiterOf(boundary, parts.length === 0));
  return Buffer.concat(chunks);
}

/** A boundary that will not occur in any body: 24 random bytes, hex (RFC 2046 bchars, no quoting). */
export function newBoundary(): string {
  return `strata-${randomBytes(24).toString('hex')}`;
}

async function* generateMultipart(
  parts: AsyncIterable<OutgoingPart> | Iterable<OutgoingPart>,
  boundary: string,
  streaming: { body?: Readable },
): AsyncGenerator<Buffer> {
  let first = true;
  for await (const part of parts) {
    const isFirst = first;
    first = false;
    const body = part.body;
    if (body instanceof Uint8Array) {
      yield partHead(boundary, isFirst, part.headers);
      if (body.byteLength > 0) yield Buffer.from(body.buffer, body.byteOffset, body.byteLength);
      continue;
    }
    streaming.body = body;
    try {
      yield partHead(boundary, isFirst, part.headers);
      for await (const chunk of body) yield toBuffer(chunk);
    } finally {
      // Torn down before or during this body: release it (for await only covers "during").
      streaming.body = undefined;
      if (!body.readableEnded) body.destroy();
    }
  }
  yield closeDelimiterOf(boundary, first);
}

/** The delimiter (with the CRLF before it, but for the first part) and the part's header block. */
export function partHead(
  boundary: string,
  first: boolean,
  headers: Record<string, string>,
): Buffer {
  return Buffer.from(delimiterOf(boundary, first) + headerBlock(headers), 'utf8');
}

export function assertBoundary(boundary: string): void {
  if (!/^[\x20-\x7e]{1,200}$/.test(boundary)) {
    throw new TypeError('boundary must be 1 to 200 printable ASCII characters');
  }
}

/** RFC 2046 §5.1.1: the CRLF before a delimiter belongs to it; the first has none (no preamble). */
function delimiterOf(boundary: string, first: boolean): string {
  return first ? `--${boundary}\r\n` : `\r\n--${boundary}\r\n`;
}

export function closeDelimiterOf(boundary: string, noParts: boolean): Buffer {
  return Buffer.from(noParts ? `--${boundary}--\r\n` : `\r\n--${boundary}--\r\n`, 'latin1');
}

function headerBlock(headers: Record<string, string>): string {
  let block = '';
  for (const [name, value] of Object.entries(headers)) {
    if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name) || /[\r\n\0]/.test(value)) {
      // A CR or LF here would let a value inject headers or end the block early.
      throw new TypeError(`part header ${JSON.stringify(name)} cannot be written`);
    }
    block += `${name}: ${value}\r\n`;
  }
  return `${block}\r\n`;
}

function toBuffer(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array)
    return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8');
  throw new TypeError('part bodies must be byte streams');
}

import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { parseMediaType } from '../media-type.js';
import { readMultipartRelated } from './related-reader.js';
import { chunked, nextPart, readAll, readParts, rejectionOf, within } from './testing.js';

const B = 'strata-boundary';
const body = (text: string): Buffer => Buffer.from(text, 'latin1');
const read = (text: string | Buffer, boundary = B, chunk = 7) =>
  readParts(
    readMultipartRelated(chunked(typeof text === 'string' ? body(text) : text, chunk), boundary),
  );

describe('readMultipartRelated: well-formed bodies', () => {
  it('reads parts with their headers, skipping preamble and epilogue', async () => {
    const parts = await read(
      'This is the preamble.\r\n--strata-boundary\r\n' +
        'Content-Type: application/dicom\r\nContent-Location: /bulk/1\r\n\r\n' +
        'first\r\n--strata-boundary\r\nX-Other: 2\r\n\r\nsecond part' +
        '\r\n--strata-boundary--\r\nThis is the epilogue.\r\n',
    );
    expect(parts).toEqual([
      {
        index: 0,
        headers: { 'content-type': 'application/dicom', 'content-location': '/bulk/1' },
        contentType: 'application/dicom',
        contentLocation: '/bulk/1',
        body: body('first'),
      },
      { index: 1, headers: { 'x-other': '2' }, body: body('second part') },
    ]);
  });

  it('reads a body whose first boundary opens it and whose close delimiter has no CRLF', async () => {
    const parts = await read('--strata-boundary\r\n\r\nonly\r\n--strata-boundary--');
    expect(parts.map((p) => p.body.toString())).toEqual(['only']);
  });

  it('tolerates transport padding after a boundary (RFC 2046 §5.1.1)', async () => {
    const parts = await read(
      '--strata-boundary \t \r\n\r\na\r\n--strata-boundary\t\r\n\r\nb\r\n--strata-boundary--  \r\n',
    );
    expect(parts.map((p) => p.body.toString())).toEqual(['a', 'b']);
  });

  it('reads zero-byte parts and parts with no headers', async () => {
    const parts = await read(
      '--strata-boundary\r\n\r\n\r\n--strata-boundary\r\nA: 1\r\n\r\n\r\n--strata-boundary--',
    );
    expect(parts).toEqual([
      { index: 0, headers: {}, body: Buffer.alloc(0) },
      { index: 1, headers: { a: '1' }, body: Buffer.alloc(0) },
    ]);
  });

  it('keeps near-delimiters inside part data', async () => {
    const data = '\r\n--strata-boundar\r\n--strata-boundarY--strata-boundary\r\n-\r\r\n';
    const parts = await read(`--${B}\r\n\r\n${data}\r\n--${B}--`, B, 3);
    expect(parts[0]?.body.toString('latin1')).toBe(data);
  });

  it('joins repeated fields, unfolds folded lines and lowercases names', async () => {
    const parts = await read(
      '--strata-boundary\r\nX-A: 1\r\nx-a: 2\r\nContent-Description: one\r\n  two\r\n' +
        'constructor: c\r\n\r\nz\r\n--strata-boundary--',
    );
    expect(parts[0]?.headers).toEqual({
      'x-a': '1, 2',
      'content-description': 'one two',
      constructor: 'c',
    });
  });

  it('accepts bare LF on boundary and header lines', async () => {
    const parts = await read(
      '--strata-boundary\nContent-Type: application/dicom\n\nabc\r\n--strata-boundary--\n',
    );
    expect(parts).toEqual([
      {
        index: 0,
        headers: { 'content-type': 'application/dicom' },
        contentType: 'application/dicom',
        body: body('abc'),
      },
    ]);
  });

  it('reads a quoted boundary with the special characters RFC 2046 allows', async () => {
    const { params } = parseMediaType(
      `multipart/related; type="application/dicom"; boundary="'()+_,-./:=? x"`,
    );
    const boundary = params['boundary']!;
    const parts = await read(`--${boundary}\r\n\r\nv\r\n--${boundary}--\r\n`, boundary, 2);
    expect(parts.map((p) => p.body.toString())).toEqual(['v']);
  });

  it('skips a body the consumer never reads, and one it destroys', async () => {
    const text =
      `--${B}\r\n\r\n${'x'.repeat(300_000)}\r\n--${B}\r\n\r\n${'y'.repeat(10)}` +
      `\r\n--${B}\r\n\r\nlast\r\n--${B}--`;
    const seen: string[] = [];
    for await (const part of readMultipartRelated(chunked(body(text), 1000), B)) {
      if (part.index === 1) part.body.destroy();
      if (part.index === 2) seen.push((await readAll(part.body)).toString());
    }
    expect(seen).toEqual(['last']);
  });
});

describe('readMultipartRelated: hostile bodies', () => {
  it('refuses a body without the boundary with multipart.no_parts', async () => {
    const err = await rejectionOf(read('just some bytes, --strata-boundary-less\r\n'));
    expect(err.code).toBe('multipart.no_parts');
  });

  it('refuses an empty body with multipart.no_parts', async () => {
    expect((await rejectionOf(read(''))).code).toBe('multipart.no_parts');
  });

  it('refuses a body that closes at its first boundary with multipart.no_parts', async () => {
    expect((await rejectionOf(read('--strata-boundary--\r\n'))).code).toBe('multipart.no_parts');
  });

  it('destroys the part being read with multipart.truncated when the body ends mid-part', async () => {
    const parts = readMultipartRelated(
      chunked(body(`--${B}\r\n\r\ncomplete\r\n--${B}\r\n\r\ncut off here`), 5),
      B,
    );
    const first = await nextPart(parts);
    expect((await readAll(first.body)).toString()).toBe('complete');
    const second = await nextPart(parts);
    const err = await rejectionOf(readAll(second.body));
    expect(err.code).toBe('multipart.truncated');
    expect(err.message).toBe('part 1 ended before its closing boundary');
    expect((await rejectionOf(parts.next())).code).toBe('multipart.truncated');
  });

  it('refuses a body that ends inside a header block or on a boundary line', async () => {
    expect((await rejectionOf(read(`--${B}\r\nContent-Type: a`))).code).toBe('multipart.truncated');
    expect((await rejectionOf(read(`--${B}\r\n\r\na\r\n--${B}`))).code).toBe('multipart.truncated');
    expect((await rejectionOf(read(`--${B}\r\n\r\na\r\n--${B}-`))).code).toBe(
      'multipart.truncated',
    );
  });

  it('ends LF-only delimiters in multipart.truncated: the CR before a boundary is required', async () => {
    const err = await rejectionOf(read(`--${B}\n\nabc\n--${B}--\n`));
    expect(err.code).toBe('multipart.truncated');
  });

  it('refuses a header block over the limit with multipart.bad_headers', async () => {
    const big = `--${B}\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\nv\r\n--${B}--`;
    const err = await rejectionOf(read(big, B, 1024));
    expect(err.code).toBe('multipart.bad_headers');
    expect(err.message).toBe('part 0 has a header block larger than 16384 bytes');
    const small = readMultipartRelated(
      chunked(body(`--${B}\r\nA: 12345\r\n\r\nv\r\n--${B}--`)),
      B,
      {
        maxPartHeaderBytes: 8,
      },
    );
    expect((await rejectionOf(readParts(small))).code).toBe('multipart.bad_headers');
  });

  it('refuses a header block without a line end (raw binary after the boundary)', async () => {
    const binary = Buffer.concat([body(`--${B}\r\n`), Buffer.alloc(40_000, 0x41)]);
    expect((await rejectionOf(read(binary, B, 4096))).code).toBe('multipart.bad_headers');
  });

  it.each([
    ['binary', 'DICM\x00\x01\x02\r\n\r\n'],
    ['a line without a colon', 'this is not a header\r\n\r\n'],
    ['a name with a space', 'Content Type: x\r\n\r\n'],
    ['a continuation with nothing before it', ' folded\r\n\r\n'],
  ])('refuses garbage instead of headers (%s) with multipart.bad_headers', async (_, garbage) => {
    const err = await rejectionOf(read(`--${B}\r\n${garbage}data\r\n--${B}--`));
    expect(err.code).toBe('multipart.bad_headers');
    expect(err.message).toMatch(/^part 0 has /);
  });

  it('refuses bytes after a boundary that are neither padding nor "--"', async () => {
    const err = await rejectionOf(read(`--${B}\r\n\r\na\r\n--${B}X\r\n\r\nb\r\n--${B}--`));
    expect(err.code).toBe('multipart.bad_headers');
    expect(err.message).toBe('part 1 has unexpected bytes after its boundary');
  });

  it('refuses a boundary inside a header block', async () => {
    const err = await rejectionOf(read(`--${B}\r\nA: 1\r\n--${B}\r\n\r\nb\r\n--${B}--`));
    expect(err.code).toBe('multipart.bad_headers');
  });

  it('refuses more parts than maxParts with multipart.too_many_parts', async () => {
    const text = `--${B}\r\n\r\na\r\n--${B}\r\n\r\nb\r\n--${B}\r\n\r\nc\r\n--${B}--`;
    const parts = readMultipartRelated(chunked(body(text), 4), B, { maxParts: 2 });
    const err = await rejectionOf(readParts(parts));
    expect(err.code).toBe('multipart.too_many_parts');
    const exact = readMultipartRelated(chunked(body(text), 4), B, { maxParts: 3 });
    expect(await readParts(exact)).toHaveLength(3);
  });

  it.each([[''], ['x'.repeat(201)], ['caf\u00e9']])('refuses the boundary %j', async (boundary) => {
    const err = await rejectionOf(read(`--x\r\n\r\na\r\n--x--`, boundary));
    expect(err.code).toBe('multipart.bad_boundary');
  });

  it('passes a source error through unchanged, to the part and to the loop', async () => {
    const failure = Object.assign(new Error('limit reached'), { code: 'lib.size_limit_exceeded' });
    const source = new Readable({ read() {} });
    source.push(body(`--${B}\r\n\r\nsome data`));
    const parts = readMultipartRelated(source, B);
    const first = await nextPart(parts);
    const reading = rejectionOf(readAll(first.body));
    source.destroy(failure);
    expect(await reading).toBe(failure);
    expect(await rejectionOf(parts.next())).toBe(failure);
  });

  it('reports a source closed before its end as multipart.truncated', async () => {
    const source = new Readable({ read() {} });
    source.push(body(`--${B}\r\n\r\nsome data`));
    const parts = readMultipartRelated(source, B);
    const first = await nextPart(parts);
    const reading = rejectionOf(readAll(first.body));
    source.destroy();
    expect((await reading).code).toBe('multipart.truncated');
  });
});

describe('readMultipartRelated: flow control', () => {
  /** A source producing `count` chunks on demand, counting how many it produced. */
  function lazySource(count: number, chunk: Buffer, head: Buffer, tail: Buffer) {
    let produced = 0;
    const source = new Readable({
      highWaterMark: 16 * 1024,
      read() {
        if (produced === 0) this.push(head);
        if (produced < count) this.push(chunk);
        else if (produced === count) this.push(tail);
        else this.push(null);
        produced++;
      },
    });
    return { source, produced: () => produced };
  }

  it('reads no further ahead than the consumer of a part body', async () => {
    const { source, produced } = lazySource(
      1000,
      Buffer.alloc(64 * 1024, 1),
      body(`--${B}\r\n\r\n`),
      body(`\r\n--${B}--`),
    );
    const parts = readMultipartRelated(source, B);
    const first = await nextPart(parts);
    const part = first.body;
    await new Promise((resolve) => setTimeout(resolve, 50));
    // The part body holds its high-water mark, the source its own, one chunk in flight.
    expect(produced()).toBeLessThan(8);
    let total = 0;
    for await (const chunk of part) total += (chunk as Buffer).length;
    expect(total).toBe(1000 * 64 * 1024);
    expect((await parts.next()).done).toBe(true);
  });

  it('drains the request when the consumer leaves the loop early, with no unhandled errors', async () => {
    const { source, produced } = lazySource(
      200,
      Buffer.alloc(64 * 1024, 1),
      body(`--${B}\r\n\r\nfirst\r\n--${B}\r\n\r\n`),
      body(`\r\n--${B}--`),
    );
    for await (const part of readMultipartRelated(source, B)) {
      expect((await readAll(part.body)).toString()).toBe('first');
      break;
    }
    await within(5000, 'the request body to be drained', finished(source));
    expect(produced()).toBe(202);
  });

  it('drains the epilogue after the close delimiter', async () => {
    const source = chunked(
      body(`--${B}\r\n\r\na\r\n--${B}--\r\n${'epilogue '.repeat(50_000)}`),
      4096,
    );
    expect(await readParts(readMultipartRelated(source, B))).toHaveLength(1);
    await within(5000, 'the epilogue to be drained', finished(source));
  });

  it('drains the request after a parse error', async () => {
    const source = chunked(body(`--${B}\r\nnot a header\r\n\r\n${'x'.repeat(500_000)}`), 4096);
    await rejectionOf(readParts(readMultipartRelated(source, B)));
    await within(5000, 'the request body to be drained', finished(source));
  });
});

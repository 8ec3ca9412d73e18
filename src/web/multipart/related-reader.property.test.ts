import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readMultipartRelated } from './related-reader.js';
import { writeMultipartRelated } from './related-writer.js';
import { chunked, readAll, readParts } from './testing.js';

/** Short, so random bytes and fragments come close to it often. */
const B = 'b0';
const delimiter = Buffer.from(`\r\n--${B}`);

/** Bodies built from random bytes and pieces of the delimiter, never the delimiter itself. */
const partBody = fc
  .array(
    fc.oneof(
      fc.uint8Array({ maxLength: 24 }),
      fc
        .constantFrom('\r', '\n', '\r\n', '-', '--', `--${B}`, '\r\n--', `\r\n--b`, B)
        .map((s) => Uint8Array.from(Buffer.from(s))),
    ),
    { maxLength: 12 },
  )
  .map((pieces) => Buffer.concat(pieces))
  // RFC 2046 §5.1.1: CRLF--boundary may not occur in a part, counting the CRLF before its body.
  .filter((body) => !Buffer.concat([Buffer.from('\r\n'), body]).includes(delimiter));

const part = fc.record({
  headers: fc.dictionary(
    fc.constantFrom('Content-Type', 'Content-Location', 'Content-ID', 'X-Extra'),
    fc.stringMatching(/^[\x21-\x7e]([\x20-\x7e]{0,20}[\x21-\x7e])?$/),
  ),
  body: partBody,
});

describe('readMultipartRelated property', () => {
  it('yields identical parts for any chunking of the same body, 1-byte chunks included', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(part, { minLength: 1, maxLength: 5 }),
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 8 }),
        async (parts, sizes) => {
          const wire = await readAll(writeMultipartRelated(parts, B));
          const whole = await readParts(readMultipartRelated(chunked(wire, wire.length), B));
          const bytewise = await readParts(readMultipartRelated(chunked(wire, 1), B));
          const random = await readParts(readMultipartRelated(chunked(wire, sizes), B));
          expect(whole.map((p) => p.body)).toEqual(parts.map((p) => p.body));
          expect(whole.map((p) => Object.keys(p.headers).sort())).toEqual(
            parts.map((p) =>
              Object.keys(p.headers)
                .map((k) => k.toLowerCase())
                .sort(),
            ),
          );
          expect(bytewise).toEqual(whole);
          expect(random).toEqual(whole);
        },
      ),
      { numRuns: 300, interruptAfterTimeLimit: 15_000 },
    );
  });
});

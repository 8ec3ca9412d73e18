import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parseMediaType } from '../media-type.js';
import { readMultipartRelated } from './related-reader.js';
import { multipartRelatedBytes, newBoundary, writeMultipartRelated } from './related-writer.js';
import type { OutgoingPart } from './related-writer.js';
import { chunked, collectGarbage, readAll, readParts, rejectionOf, within } from './testing.js';

const B = 'strata-test-boundary';

async function* from<T>(items: T[]): AsyncGenerator<T> {
  for (const item of items) yield await Promise.resolve(item);
}

describe('writeMultipartRelated', () => {
  it('writes delimiter, header block, body and close delimiter byte for byte', async () => {
    const out = await readAll(
      writeMultipartRelated(
        from<OutgoingPart>([
          { headers: { 'Content-Type': 'application/dicom' }, body: Buffer.from('one') },
          { headers: {}, body: Readable.from([Buffer.from('tw'), Buffer.from('o')]) },
        ]),
        B,
      ),
    );
    expect(out.toString()).toBe(
      `--${B}\r\nContent-Type: application/dicom\r\n\r\none\r\n--${B}\r\n\r\ntwo\r\n--${B}--\r\n`,
    );
  });

  it('builds in one buffer the same bytes it streams, for parts in memory', async () => {
    const parts = [
      {
        headers: { 'Content-Type': 'image/jpeg; transfer-syntax=1.2.840.10008.1.2.4.50' },
        body: Buffer.from('frame one'),
      },
      { headers: { 'Content-Type': 'image/jpeg' }, body: new Uint8Array([0, 1, 2]) },
    ];
    for (const some of [parts.slice(0, 1), parts, []]) {
      expect(multipartRelatedBytes(some, B)).toEqual(await readAll(writeMultipartRelated(some, B)));
    }
  });

  it('refuses header names and values that could inject lines', async () => {
    const inject = (headers: Record<string, string>) =>
      rejectionOf(readAll(writeMultipartRelated(from([{ headers, body: Buffer.alloc(0) }]), B)));
    expect(await inject({ 'X-A': 'a\r\nX-B: b' })).toBeInstanceOf(TypeError);
    expect(await inject({ 'X A': 'a' })).toBeInstanceOf(TypeError);
  });

  it('destroys a stalled part body when the output is destroyed mid-part', async () => {
    const body = new Readable({ read() {} });
    body.push(Buffer.from('partial'));
    const out = writeMultipartRelated(from([{ headers: {}, body }]), B);
    // Destroy while the writer waits for the stalled body's next chunk.
    let seen = '';
    await within(
      2000,
      'the first body bytes',
      new Promise<void>((resolve) =>
        out.on('data', (chunk: Buffer) => {
          seen += chunk.toString();
          if (seen.endsWith('partial')) resolve();
        }),
      ),
    );
    out.destroy();
    await within(
      2000,
      'the part body to close',
      new Promise((resolve) => body.once('close', resolve)),
    );
    expect(body.destroyed).toBe(true);
  });

  it('destroys a part body it had not started when the output is destroyed', async () => {
    const body = new Readable({ read() {} });
    const out = writeMultipartRelated(from([{ headers: {}, body }]), B);
    out.read(0);
    await within(2000, 'the header block', new Promise((resolve) => out.once('readable', resolve)));
    out.destroy();
    await within(
      2000,
      'the part body to close',
      new Promise((resolve) => body.once('close', resolve)),
    );
  });

  it('makes boundaries that are tokens, unique, within RFC 2046 length', () => {
    const a = newBoundary();
    expect(a).not.toBe(newBoundary());
    expect(a.length).toBeLessThanOrEqual(70);
    expect(parseMediaType(`multipart/related; boundary=${a}`).params['boundary']).toBe(a);
  });
});

describe('writer → reader round trip', () => {
  const tricky: Array<[string, Buffer]> = [
    ['an empty part', Buffer.alloc(0)],
    ['the boundary minus its last byte', Buffer.from(`\r\n--${B.slice(0, -1)}`)],
    ['the boundary minus its first byte', Buffer.from(`\n--${B}`)],
    [
      'CRLF--boundary prefixes',
      Buffer.from(`\r\n--\r\n--s\r\n--strata-\r\n-\r\r\n--strata-test-boundar`),
    ],
    ['a trailing CR', Buffer.from('data\r')],
    ['a trailing CRLF--', Buffer.from('data\r\n--')],
    ['binary', Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) & 0xff))],
  ];

  it.each([1, 2, 5, 13, 4096])(
    'gives back identical parts and headers in %i-byte chunks',
    async (size) => {
      const parts = tricky.map(([name, body], i) => ({
        headers: {
          'Content-Type': 'application/dicom',
          'Content-Location': `/p/${i}`,
          'X-Name': name,
        },
        body,
      }));
      const wire = await readAll(writeMultipartRelated(from(parts), B));
      const read = await readParts(readMultipartRelated(chunked(wire, size), B));
      expect(read.map((p) => p.body)).toEqual(parts.map((p) => p.body));
      expect(read.map((p) => p.headers)).toEqual(
        parts.map((p, i) => ({
          'content-type': 'application/dicom',
          'content-location': `/p/${i}`,
          'x-name': p.headers['X-Name'],
        })),
      );
    },
  );

  it('streams a 50 MiB part through writer and reader with bounded memory', async () => {
    const chunk = Buffer.alloc(64 * 1024);
    for (let i = 0; i < chunk.length; i++) chunk[i] = (i * 31) & 0xff;
    // Near-delimiters at and across chunk edges.
    chunk.write(`\r\n--${B.slice(0, -1)}`, 100, 'latin1');
    chunk.write(`\r\n--${B.slice(0, 10)}`, chunk.length - 12, 'latin1');
    const count = 800; // 50 MiB
    let sent = 0;
    const big = new Readable({
      read() {
        this.push(sent++ < count ? chunk : null);
      },
    });
    const expected = createHash('sha256');
    for (let i = 0; i < count; i++) expected.update(chunk);

    const wire = writeMultipartRelated(
      from<OutgoingPart>([
        { headers: { 'Content-Type': 'application/dicom' }, body: big },
        { headers: {}, body: Buffer.from('after') },
      ]),
      B,
    );
    collectGarbage();
    const before = process.memoryUsage();
    let peakRss = before.rss;
    let peakBuffers = before.arrayBuffers;
    const parts: Array<{ bytes: number; hash: string }> = [];
    for await (const part of readMultipartRelated(wire, B)) {
      const hash = createHash('sha256');
      let bytes = 0;
      for await (const piece of part.body) {
        hash.update(piece as Buffer);
        bytes += (piece as Buffer).length;
        if (bytes % (2 * 1024 * 1024) < (piece as Buffer).length) {
          // Every 2 MiB: what is held, after a collection (garbage is not what we bound).
          collectGarbage();
          const now = process.memoryUsage();
          peakRss = Math.max(peakRss, now.rss);
          peakBuffers = Math.max(peakBuffers, now.arrayBuffers);
        }
      }
      parts.push({ bytes, hash: hash.digest('hex') });
    }
    expect(parts[0]).toEqual({ bytes: count * chunk.length, hash: expected.digest('hex') });
    expect(parts[1]?.bytes).toBe(5);
    expect(peakBuffers - before.arrayBuffers).toBeLessThan(8 * 1024 * 1024);
    expect(peakRss - before.rss).toBeLessThan(16 * 1024 * 1024);
  });
});

import { Readable, Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { writeMultipartRelatedInto } from './related-into.js';
import { writeMultipartRelated, type OutgoingPart } from './related-writer.js';
import { readAll } from './testing.js';

const B = 'strata-test-boundary';

/** A sink taking `chunk` bytes per tick, like a socket with a small buffer. */
function sink(options: { failAfter?: number } = {}) {
  const chunks: Buffer[] = [];
  let seen = 0;
  const out = new Writable({
    highWaterMark: 1024,
    write(chunk: Buffer, _encoding, callback) {
      seen += chunk.length;
      if (options.failAfter !== undefined && seen > options.failAfter) {
        callback(new Error('socket gone'));
        return;
      }
      chunks.push(Buffer.from(chunk));
      setImmediate(callback);
    },
  });
  const bytes = async (): Promise<Buffer> => {
    out.end();
    await finished(out);
    return Buffer.concat(chunks);
  };
  return { out, bytes };
}

function parts(): OutgoingPart[] {
  return [
    { headers: { 'Content-Type': 'application/dicom' }, body: Buffer.from('one') },
    {
      headers: { 'Content-Type': 'application/dicom' },
      body: Readable.from([Buffer.alloc(5000, 1), Buffer.alloc(3000, 2)]),
    },
    { headers: {}, body: new Uint8Array(0) },
    {
      headers: { 'Content-Type': 'application/dicom' },
      body: Readable.from([Buffer.from('four')]),
    },
  ];
}

describe('writeMultipartRelatedInto', () => {
  it('writes the same bytes as writeMultipartRelated, with a sink that pushes back', async () => {
    const { out, bytes } = sink();
    await writeMultipartRelatedInto(out, parts(), B);
    expect(await bytes()).toEqual(await readAll(writeMultipartRelated(parts(), B)));
    const none = sink();
    await writeMultipartRelatedInto(none.out, [], B);
    expect((await none.bytes()).toString()).toBe(`--${B}--\r\n`);
  });

  it('when the sink fails, destroys the current body and returns the parts early', async () => {
    const { out } = sink({ failAfter: 2000 });
    out.on('error', () => undefined);
    const current = new Readable({ read() {} });
    current.push(Buffer.alloc(4000));
    const later = new Readable({ read() {} });
    let returned = false;
    async function* produce(): AsyncGenerator<OutgoingPart> {
      try {
        yield await Promise.resolve({ headers: {}, body: current });
        yield { headers: {}, body: later };
      } finally {
        returned = true;
        later.destroy();
      }
    }
    await expect(writeMultipartRelatedInto(out, produce(), B)).rejects.toThrow();
    expect(current.destroyed).toBe(true);
    expect(returned).toBe(true);
    expect(later.destroyed).toBe(true);
  });

  it('fails with the error of a part body, destroying it', async () => {
    const { out } = sink();
    const broken = new Readable({
      read() {
        this.destroy(new Error('offline tier'));
      },
    });
    await expect(
      writeMultipartRelatedInto(out, [{ headers: {}, body: broken }], B),
    ).rejects.toThrow('offline tier');
  });
});

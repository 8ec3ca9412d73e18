import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { createByteCounter } from './byte-counter.js';
import { SizeLimitExceededError } from './errors.js';

function sink(): { writable: Writable; received: () => number } {
  let received = 0;
  const writable = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      received += chunk.length;
      callback();
    },
  });
  return { writable, received: () => received };
}

const chunks = (...sizes: number[]) => Readable.from(sizes.map((n) => Buffer.alloc(n, 1)));

describe('createByteCounter', () => {
  it('counts every byte and passes them through', async () => {
    const counter = createByteCounter();
    const out = sink();
    await pipeline(chunks(3, 0, 1000, 7), counter.tap, out.writable);
    expect(counter.result()).toBe(1010);
    expect(out.received()).toBe(1010);
  });

  it('allows exactly `limit` bytes', async () => {
    const counter = createByteCounter({ limit: 10 });
    await pipeline(chunks(4, 6), counter.tap, sink().writable);
    expect(counter.result()).toBe(10);
  });

  it('destroys the pipeline with SizeLimitExceededError past the limit, passing nothing over', async () => {
    const counter = createByteCounter({ limit: 10 });
    const out = sink();
    const error = await pipeline(chunks(4, 6, 1, 100), counter.tap, out.writable).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SizeLimitExceededError);
    expect(error).toMatchObject({ code: 'lib.size_limit_exceeded', limit: 10 });
    expect(out.received()).toBe(10);
  });

  it('refuses a negative or fractional limit', () => {
    expect(() => createByteCounter({ limit: -1 })).toThrow(RangeError);
    expect(() => createByteCounter({ limit: 1.5 })).toThrow(RangeError);
  });
});

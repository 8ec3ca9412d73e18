import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { BufferPool, CHUNK_LENDER, lenderOf } from './buffer-pool.js';

describe('BufferPool', () => {
  it('hands a buffer given back (through any view of it) out again', () => {
    const pool = new BufferPool(1024, 4096);
    const first = pool.take();
    expect(first.length).toBe(1024);
    pool.give(first.subarray(10, 20));
    expect(pool.idle).toBe(1);
    const again = pool.take();
    expect(again.buffer).toBe(first.buffer);
    expect(again.length).toBe(1024);
  });

  it('ignores a second give of the same buffer, so two readers never share one', () => {
    const pool = new BufferPool(1024, 4096);
    const buffer = pool.take();
    pool.give(buffer);
    pool.give(buffer.subarray(0, 1));
    expect(pool.idle).toBe(1);
    const a = pool.take();
    const b = pool.take();
    expect(a.buffer).not.toBe(b.buffer);
  });

  it('ignores memory it did not lend, and keeps at most maxFreeBytes idle', () => {
    const pool = new BufferPool(1024, 2048);
    pool.give(Buffer.alloc(1024));
    expect(pool.idle).toBe(0);
    const taken = [pool.take(), pool.take(), pool.take()];
    for (const buffer of taken) pool.give(buffer);
    expect(pool.idle).toBe(2);
  });

  it('names the pool of a lending stream, and no pool for others', () => {
    const pool = new BufferPool(16, 16);
    const lending = Object.assign(new Readable({ read() {} }), { [CHUNK_LENDER]: pool });
    expect(lenderOf(lending)).toBe(pool);
    expect(lenderOf(new Readable({ read() {} }))).toBeUndefined();
  });
});

import { randomBytes } from 'node:crypto';
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BufferPool, lenderOf } from '../lib/buffer-pool.js';
import { FileReadStream } from './file-read-stream.js';

let dir: string;
let file: string;
const bytes = randomBytes(100_000);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'strata-file-read-'));
  file = join(dir, 'blob');
  await writeFile(file, bytes);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function read(start: number, end: number, pool = new BufferPool(16 * 1024, 64 * 1024)) {
  const handle = await open(file, 'r');
  const stream = new FileReadStream(handle, { start, end, what: 'test file' }, pool);
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return { data: Buffer.concat(chunks), chunks, handle };
}

describe('FileReadStream', () => {
  it('streams exactly [start, end), in chunks of at most the pool size', async () => {
    for (const [start, end] of [
      [0, bytes.length],
      [5, 17],
      [16 * 1024 - 1, 3 * 16 * 1024 + 1],
      [bytes.length - 1, bytes.length],
      [10, 10],
    ] as const) {
      const { data, chunks } = await read(start, end);
      expect(data.equals(bytes.subarray(start, end))).toBe(true);
      for (const chunk of chunks) expect(chunk.length).toBeLessThanOrEqual(16 * 1024);
    }
  });

  it('ends early, without error, when the file is shorter than asked', async () => {
    const { data } = await read(bytes.length - 10, bytes.length + 1000);
    expect(data.equals(bytes.subarray(bytes.length - 10))).toBe(true);
  });

  it('lends its chunks from the pool; chunks given back are read into again', async () => {
    const pool = new BufferPool(16 * 1024, 64 * 1024);
    const handle = await open(file, 'r');
    const stream = new FileReadStream(handle, { start: 0, end: bytes.length, what: 'f' }, pool);
    expect(lenderOf(stream)).toBe(pool);
    const memories = new Set<ArrayBufferLike>();
    let received = 0;
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      expect(chunk.equals(bytes.subarray(received, received + chunk.length))).toBe(true);
      received += chunk.length;
      if (chunk.length === pool.size) memories.add(chunk.buffer);
      pool.give(chunk);
    }
    expect(received).toBe(bytes.length);
    // 6 full reads through at most 2 buffers: one being consumed, one read ahead.
    expect(memories.size).toBeLessThanOrEqual(2);
  });

  it('reads a tail much smaller than a pool buffer into a buffer of its own', async () => {
    const pool = new BufferPool(64 * 1024, 64 * 1024);
    const handle = await open(file, 'r');
    const stream = new FileReadStream(handle, { start: 0, end: 1000, what: 'f' }, pool);
    const chunks: Buffer[] = [];
    for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
    expect(chunks.length).toBe(1);
    expect(chunks[0]!.equals(bytes.subarray(0, 1000))).toBe(true);
    expect(chunks[0]!.buffer.byteLength).toBeLessThan(pool.size);
    pool.give(chunks[0]!);
    expect(pool.idle).toBe(0);
  });

  it('closes the file when destroyed mid-read', async () => {
    const handle = await open(file, 'r');
    const pool = new BufferPool(1024, 4096);
    const stream = new FileReadStream(handle, { start: 0, end: bytes.length, what: 'f' }, pool);
    const first = await new Promise<Buffer>((resolve) => stream.once('data', resolve));
    expect(first.length).toBe(1024);
    stream.destroy();
    await finished(stream).catch(() => undefined);
    expect(handle.fd).toBe(-1);
  });

  it('closes the file at the end', async () => {
    const { handle } = await read(0, 100);
    await new Promise((resolve) => setImmediate(resolve));
    expect(handle.fd).toBe(-1);
  });
});

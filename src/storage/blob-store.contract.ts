import { createHash } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createByteCounter } from '../lib/byte-counter.js';
import { SizeLimitExceededError } from '../lib/errors.js';
import type { BlobStore } from './blob-store.js';
import {
  BlobBodyError,
  BlobExistsError,
  BlobNotFoundError,
  BlobRangeError,
  InvalidBlobKeyError,
  StorageAbortedError,
  StorageUnavailableError,
} from './errors.js';
import { newBlobKey } from './keys.js';

export interface BlobStoreFixture {
  store: BlobStore;
  cleanup(): Promise<void>;
}

/** Keys every backend must refuse with InvalidBlobKeyError (see keys.ts `assertSafeKey`). */
const INVALID_KEYS = ['../x', '/abs', 'a//b', 'a\\b', '..', '.', '', 'a/', 'a/./b', 'A', 'a\0b'];

/** Odd chunk sizes, so no chunk lines up with a power-of-two buffer in any backend. */
const ODD_CHUNKS = [1, 7, 4093, 65_521, 1_048_573, 333_333];

/** Deterministic pseudo-random bytes (xorshift), so failures are reproducible. */
export function testBytes(size: number, seed = 1): Buffer {
  const bytes = Buffer.allocUnsafe(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x & 0xff;
  }
  return bytes;
}

/** A byte stream of `bytes` cut into `chunkSizes` (cycled). */
export function bodyOf(bytes: Buffer, chunkSizes: number[] = [bytes.length || 1]): Readable {
  function* chunks(): Generator<Buffer> {
    let offset = 0;
    for (let i = 0; offset < bytes.length; i++) {
      const size = chunkSizes[i % chunkSizes.length]!;
      yield bytes.subarray(offset, offset + size);
      offset += size;
    }
  }
  return Readable.from(chunks(), { objectMode: false });
}

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** A body that sends `first`, then fails with `error` on the next tick. */
function failingBody(first: Buffer, error: Error): Readable {
  const body = new PassThrough();
  body.write(first);
  setImmediate(() => body.destroy(error));
  return body;
}

async function collect(keys: AsyncIterable<string>): Promise<string[]> {
  const all: string[] = [];
  for await (const key of keys) all.push(key);
  return all.sort();
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** Byte equality without vitest's element-by-element deep compare (slow on large buffers). */
function expectBytes(actual: Buffer, expected: Buffer): void {
  expect(actual.length).toBe(expected.length);
  expect(sha256(actual)).toBe(sha256(expected));
}

/** Sizes that make a backend take its large-object path (multipart, blocks, chunks). */
export interface ContractOptions {
  /** A body big enough for the multipart / block path; default 3 MiB + 5. */
  largeObjectBytes?: number;
  /** Where the backend cuts the body (part, block or chunk size); ranges straddle it. */
  chunkBoundary?: number;
}

/**
 * The BlobStore contract (storage/blob-store.ts), run against one backend. Call it from the
 * backend's test file; `factory` gives a fresh, empty store per test.
 */
export function describeBlobStoreContract(
  name: string,
  factory: () => Promise<BlobStoreFixture>,
  options: ContractOptions = {},
): void {
  const largeSize = options.largeObjectBytes ?? 3 * 1024 * 1024 + 5;
  const boundary = options.chunkBoundary ?? 1024 * 1024;
  describe(`BlobStore contract: ${name}`, () => {
    let fixture: BlobStoreFixture;
    let store: BlobStore;

    beforeEach(async () => {
      fixture = await factory();
      store = fixture.store;
    });
    afterEach(async () => {
      await store.close();
      await fixture.cleanup();
    });

    const put = (key: string, bytes: Buffer, chunks?: number[]) =>
      store.put(key, bodyOf(bytes, chunks));

    describe('round trip', () => {
      it('returns a small blob byte-identical, with its size', async () => {
        const bytes = Buffer.from('DICM and then some');
        expect(await put('aa/small', bytes)).toEqual({ key: 'aa/small', size: bytes.length });
        expect(await readAll(await store.get('aa/small'))).toEqual(bytes);
      });

      it('stores an empty blob', async () => {
        expect(await store.put('aa/empty', Readable.from([]))).toEqual({
          key: 'aa/empty',
          size: 0,
        });
        expect((await readAll(await store.get('aa/empty'))).length).toBe(0);
        expect((await store.stat('aa/empty')).size).toBe(0);
      });

      it('streams a multi-MiB body sent in odd-sized chunks back byte-identical', async () => {
        const bytes = testBytes(5 * 1024 * 1024 + 13, 42);
        expect((await put('aa/large', bytes, ODD_CHUNKS)).size).toBe(bytes.length);
        const back = await readAll(await store.get('aa/large'));
        expect(back.length).toBe(bytes.length);
        expect(sha256(back)).toBe(sha256(bytes));
      });

      it('accepts keys made by newBlobKey and single-segment keys', async () => {
        const key = newBlobKey();
        await put(key, Buffer.from('x'));
        await put('flat', Buffer.from('y'));
        expect(await store.exists(key)).toBe(true);
        expect((await readAll(await store.get('flat'))).toString()).toBe('y');
      });

      it('awaits beforeVisible before the key exists; its rejection fails the put, storing nothing', async () => {
        let seen: boolean | undefined;
        await store.put('bv/ok', bodyOf(Buffer.from('abc')), {
          beforeVisible: async () => {
            seen = await store.exists('bv/ok');
          },
        });
        expect(seen).toBe(false);
        expect(await store.exists('bv/ok')).toBe(true);
        const refusal = new Error('bookkeeping failed');
        const result = await store
          .put('bv/refused', bodyOf(Buffer.from('abc')), {
            beforeVisible: () => Promise.reject(refusal),
          })
          .catch((e: unknown) => e);
        expect(result).toBe(refusal);
        expect(await store.exists('bv/refused')).toBe(false);
      });

      it('checks contentLength: a shorter body is refused and nothing is stored', async () => {
        const result = await store
          .put('aa/short', bodyOf(Buffer.from('abc')), { contentLength: 4 })
          .catch((e: unknown) => e);
        expect(result).toBeInstanceOf(BlobBodyError);
        expect(await store.exists('aa/short')).toBe(false);
        await store.put('aa/short', bodyOf(Buffer.from('abcd')), { contentLength: 4 });
        expect(await store.exists('aa/short')).toBe(true);
      });
    });

    describe('range reads', () => {
      const bytes = testBytes(300_000, 7);
      beforeEach(async () => {
        await put('rr/blob', bytes, ODD_CHUNKS);
      });
      const range = async (start: number, end?: number) =>
        readAll(
          await store.get('rr/blob', { range: end === undefined ? { start } : { start, end } }),
        );

      it('reads from a start to the end', async () => {
        expectBytes(await range(100_000), bytes.subarray(100_000));
      });

      it('reads an inclusive start-end range', async () => {
        expectBytes(await range(10, 70_010), bytes.subarray(10, 70_011));
        expectBytes(await range(0, 0), bytes.subarray(0, 1));
      });

      it('reads the last byte', async () => {
        expectBytes(await range(bytes.length - 1), bytes.subarray(-1));
        expectBytes(await range(bytes.length - 1, bytes.length - 1), bytes.subarray(-1));
      });

      it('clamps an end past the last byte (RFC 9110 §14.1.2)', async () => {
        expectBytes(await range(299_990, 10_000_000), bytes.subarray(299_990));
      });

      it('rejects a start at or beyond the end with BlobRangeError, before streaming', async () => {
        for (const bad of [
          { start: bytes.length },
          { start: bytes.length + 5, end: bytes.length + 9 },
        ]) {
          const error = await store.get('rr/blob', { range: bad }).catch((e: unknown) => e);
          expect(error).toBeInstanceOf(BlobRangeError);
          expect(error).toMatchObject({ key: 'rr/blob', size: bytes.length });
        }
      });

      it('rejects malformed ranges with BlobRangeError', async () => {
        for (const bad of [{ start: -1 }, { start: 5, end: 4 }, { start: 1.5 }]) {
          await expect(store.get('rr/blob', { range: bad })).rejects.toBeInstanceOf(BlobRangeError);
        }
      });

      it('rejects any range of an empty blob', async () => {
        await store.put('rr/empty', Readable.from([]));
        await expect(store.get('rr/empty', { range: { start: 0 } })).rejects.toBeInstanceOf(
          BlobRangeError,
        );
      });
    });

    describe('large objects (multipart / block / chunked path)', () => {
      const bytes = testBytes(largeSize, 99);

      it('stores a large body of unknown length and one of known length byte-identical', async () => {
        expect((await put('lg/unknown', bytes, ODD_CHUNKS)).size).toBe(largeSize);
        await store.put('lg/known', bodyOf(bytes, [1 << 16]), { contentLength: largeSize });
        expectBytes(await readAll(await store.get('lg/unknown')), bytes);
        expectBytes(await readAll(await store.get('lg/known')), bytes);
        expect((await store.stat('lg/known')).size).toBe(largeSize);
      });

      it('reads ranges that straddle, start at and end at a part boundary', async () => {
        await put('lg/ranges', bytes, ODD_CHUNKS);
        const cases: [number, number][] = [
          [boundary - 100, boundary + 100],
          [boundary, boundary],
          [boundary - 1, boundary - 1],
          [boundary - 1, boundary],
          [1, 2 * boundary < largeSize ? 2 * boundary + 3 : largeSize - 2],
          [largeSize - 10, largeSize + 10],
        ];
        for (const [start, end] of cases) {
          const back = await readAll(await store.get('lg/ranges', { range: { start, end } }));
          expectBytes(back, bytes.subarray(start, Math.min(end, largeSize - 1) + 1));
        }
      });

      it('refuses a large body longer than its contentLength and stores nothing', async () => {
        const error = await store
          .put('lg/long', bodyOf(bytes, [1 << 16]), { contentLength: largeSize - 1 })
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(BlobBodyError);
        expect(await store.exists('lg/long')).toBe(false);
      });

      it('lets one of two concurrent large puts to one key win, intact', async () => {
        const other = testBytes(largeSize, 100);
        const results = await Promise.allSettled([
          store.put('lg/race', bodyOf(bytes, [1 << 16])),
          store.put('lg/race', bodyOf(other, [1 << 16])),
        ]);
        const won = results.findIndex((r) => r.status === 'fulfilled');
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        const loser = results[1 - won]!;
        expect(loser.status === 'rejected' && loser.reason).toBeInstanceOf(BlobExistsError);
        expectBytes(await readAll(await store.get('lg/race')), won === 0 ? bytes : other);
      });
    });

    describe('stat, exists, get of a missing key', () => {
      it('stats a blob: key, size, a recent modification time', async () => {
        const before = Date.now();
        await put('st/one', Buffer.alloc(1234, 1));
        const stat = await store.stat('st/one');
        expect(stat.key).toBe('st/one');
        expect(stat.size).toBe(1234);
        expect(stat.modifiedAt).toBeInstanceOf(Date);
        expect(Math.abs(stat.modifiedAt.getTime() - before)).toBeLessThan(60_000);
      });

      it('says whether a key exists', async () => {
        await put('st/one', Buffer.from('1'));
        expect(await store.exists('st/one')).toBe(true);
        expect(await store.exists('st/two')).toBe(false);
        expect(await store.exists('st')).toBe(false);
      });

      it('rejects get and stat of a missing key with BlobNotFoundError', async () => {
        const error = await store.get('st/none').catch((e: unknown) => e);
        expect(error).toBeInstanceOf(BlobNotFoundError);
        expect(error).toMatchObject({ code: 'storage.blob_not_found', key: 'st/none' });
        await expect(store.stat('st/none')).rejects.toBeInstanceOf(BlobNotFoundError);
      });
    });

    describe('write once', () => {
      it('refuses to overwrite with BlobExistsError and keeps the original bytes', async () => {
        const original = testBytes(100_000, 3);
        await put('wo/key', original);
        const error = await put('wo/key', testBytes(50, 4)).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(BlobExistsError);
        expect(error).toMatchObject({ code: 'storage.blob_exists', key: 'wo/key' });
        expectBytes(await readAll(await store.get('wo/key')), original);
      });

      it('lets exactly one of several concurrent puts to one key win', async () => {
        const bodies = Array.from({ length: 6 }, (_, i) => testBytes(200_000 + i, i + 10));
        const results = await Promise.allSettled(
          bodies.map((bytes) => store.put('wo/race', bodyOf(bytes, [4096, 777]))),
        );
        const winners = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
        expect(winners).toHaveLength(1);
        for (const r of results) {
          if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(BlobExistsError);
        }
        const stored = await readAll(await store.get('wo/race'));
        expect(sha256(stored)).toBe(sha256(bodies[winners[0]!]!));
      });
    });

    describe('failed and aborted puts leave nothing behind', () => {
      it('rejects with BlobBodyError (cause: the body error) when the body fails midway', async () => {
        const cause = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
        const error = await store
          .put('fp/key', failingBody(testBytes(70_000), cause))
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(BlobBodyError);
        expect((error as Error).cause).toBe(cause);
        expect(await store.exists('fp/key')).toBe(false);
        await put('fp/key', Buffer.from('retry'));
        expect((await readAll(await store.get('fp/key'))).toString()).toBe('retry');
      });

      it("passes the project's own errors through, e.g. a byte counter's limit", async () => {
        const counter = createByteCounter({ limit: 100_000 });
        const source = bodyOf(testBytes(300_000), [8192]);
        const feeding = pipeline(source, counter.tap).catch((e: unknown) => e);
        const error = await store.put('fp/limited', counter.tap).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(SizeLimitExceededError);
        expect(await feeding).toBeInstanceOf(SizeLimitExceededError);
        expect(await store.exists('fp/limited')).toBe(false);
      });

      it('rejects a body that ends early (destroyed without error)', async () => {
        const body = new PassThrough();
        body.write(Buffer.alloc(1000));
        setImmediate(() => body.destroy());
        await expect(store.put('fp/closed', body)).rejects.toBeInstanceOf(BlobBodyError);
        expect(await store.exists('fp/closed')).toBe(false);
      });

      it('aborts via the signal mid-stream: StorageAbortedError with the reason, no key', async () => {
        const controller = new AbortController();
        const body = new PassThrough();
        body.write(testBytes(100_000));
        const putting = store
          .put('fp/aborted', body, { signal: controller.signal })
          .catch((e: unknown) => e);
        setTimeout(() => controller.abort(new Error('client went away')), 20);
        const error = await putting;
        expect(error).toBeInstanceOf(StorageAbortedError);
        expect((error as Error).cause).toEqual(new Error('client went away'));
        expect(await store.exists('fp/aborted')).toBe(false);
      });

      it('refuses a put whose signal is already aborted, storing nothing', async () => {
        await expect(
          store.put('fp/pre', bodyOf(Buffer.from('x')), { signal: AbortSignal.abort() }),
        ).rejects.toBeInstanceOf(StorageAbortedError);
        expect(await store.exists('fp/pre')).toBe(false);
      });
    });

    describe('get honours its signal', () => {
      it('refuses to start when already aborted', async () => {
        await put('gs/key', Buffer.from('x'));
        await expect(store.get('gs/key', { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(
          StorageAbortedError,
        );
      });

      it('destroys the stream with StorageAbortedError when aborted while reading', async () => {
        await put('gs/big', testBytes(3 * 1024 * 1024), [1 << 20]);
        const controller = new AbortController();
        const stream = await store.get('gs/big', { signal: controller.signal });
        stream.once('data', () => controller.abort());
        await expect(readAll(stream)).rejects.toBeInstanceOf(StorageAbortedError);
      });
    });

    describe('delete', () => {
      it('deletes, and deleting again or a never-stored key is not an error', async () => {
        await put('dl/key', Buffer.from('x'));
        await store.delete('dl/key');
        expect(await store.exists('dl/key')).toBe(false);
        await expect(store.get('dl/key')).rejects.toBeInstanceOf(BlobNotFoundError);
        await store.delete('dl/key');
        await store.delete('dl/never');
      });

      it('lets a deleted key be written again', async () => {
        await put('dl/key', Buffer.from('one'));
        await store.delete('dl/key');
        await put('dl/key', Buffer.from('two'));
        expect((await readAll(await store.get('dl/key'))).toString()).toBe('two');
      });
    });

    describe('list', () => {
      const keys = ['aa/1', 'aa/2', 'ab/3', 'b/c/d', 'flat'];
      beforeEach(async () => {
        for (const key of keys) await put(key, Buffer.from(key));
      });

      it('lists every key without a prefix', async () => {
        expect(await collect(store.list())).toEqual(keys);
      });

      it('lists keys under a prefix, as plain string prefixes', async () => {
        expect(await collect(store.list('aa/'))).toEqual(['aa/1', 'aa/2']);
        expect(await collect(store.list('a'))).toEqual(['aa/1', 'aa/2', 'ab/3']);
        expect(await collect(store.list('b/c'))).toEqual(['b/c/d']);
        expect(await collect(store.list('aa/2'))).toEqual(['aa/2']);
        expect(await collect(store.list('zz/'))).toEqual([]);
      });

      it('no longer lists a deleted key', async () => {
        await store.delete('aa/1');
        expect(await collect(store.list('aa'))).toEqual(['aa/2']);
      });

      it('rejects an unsafe prefix', async () => {
        await expect(collect(store.list('../'))).rejects.toBeInstanceOf(InvalidBlobKeyError);
        await expect(collect(store.list('A'))).rejects.toBeInstanceOf(InvalidBlobKeyError);
      });
    });

    describe('invalid keys', () => {
      it.each(INVALID_KEYS)('rejects %j in every method with InvalidBlobKeyError', async (key) => {
        await expect(store.put(key, bodyOf(Buffer.from('x')))).rejects.toBeInstanceOf(
          InvalidBlobKeyError,
        );
        await expect(store.get(key)).rejects.toBeInstanceOf(InvalidBlobKeyError);
        await expect(store.stat(key)).rejects.toBeInstanceOf(InvalidBlobKeyError);
        await expect(store.exists(key)).rejects.toBeInstanceOf(InvalidBlobKeyError);
        await expect(store.delete(key)).rejects.toBeInstanceOf(InvalidBlobKeyError);
      });

      it('rejects a key longer than 512 characters', async () => {
        await expect(store.exists('a'.repeat(513))).rejects.toBeInstanceOf(InvalidBlobKeyError);
      });
    });

    it('refuses work after close with StorageUnavailableError', async () => {
      await store.close();
      await expect(store.exists('cl/key')).rejects.toBeInstanceOf(StorageUnavailableError);
      await expect(store.put('cl/key', bodyOf(Buffer.from('x')))).rejects.toBeInstanceOf(
        StorageUnavailableError,
      );
    });
  });
}

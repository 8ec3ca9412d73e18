import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { BlobStore, GetOptions } from './blob-store.js';
import { bodyOf, describeBlobStoreContract, readAll, testBytes } from './blob-store.contract.js';
import { CHUNK_BYTES, HEADER_BYTES, TAG_BYTES } from './encrypted-format.js';
import { EncryptedBlobStore } from './encrypted-blob-store.js';
import { BlobIntegrityError, EncryptionKeyUnknownError } from './errors.js';
import { FsBlobStore } from './fs-blob-store.js';
import { MemoryBlobStore } from './memory-blob-store.js';

const KEY_A = randomBytes(32);
const KEY_B = randomBytes(32);
const keys = (entries: [string, Buffer][], active: string) => ({
  activeKeyId: active,
  keys: new Map(entries),
});

describeBlobStoreContract(
  'encrypted(memory)',
  () =>
    Promise.resolve({
      store: new EncryptedBlobStore(new MemoryBlobStore('hot'), keys([['k1', KEY_A]], 'k1')),
      cleanup: () => Promise.resolve(),
    }),
  { largeObjectBytes: 3 * CHUNK_BYTES * 7 + 11, chunkBoundary: CHUNK_BYTES },
);

describeBlobStoreContract(
  'encrypted(fs)',
  async () => {
    const root = await fs.mkdtemp(path.join(os.tmpdir(), 'strata-enc-'));
    const inner = await FsBlobStore.open({ root, name: 'hot' });
    return {
      store: new EncryptedBlobStore(inner, keys([['k1', KEY_A]], 'k1')),
      cleanup: () => fs.rm(root, { recursive: true, force: true }),
    };
  },
  { chunkBoundary: CHUNK_BYTES * 5 },
);

/** A memory store whose stored ciphertext the test can read and replace. */
class TamperableStore extends MemoryBlobStore {
  readonly ranges: GetOptions['range'][] = [];
  override get(key: string, options: GetOptions = {}) {
    this.ranges.push(options.range);
    return super.get(key, options);
  }
  async raw(key: string): Promise<Buffer> {
    return readAll(await super.get(key));
  }
  async replace(key: string, bytes: Buffer): Promise<void> {
    await this.delete(key);
    await this.put(key, Readable.from([bytes]));
  }
}

async function setup(plain: Buffer) {
  const inner = new TamperableStore('hot');
  const store = new EncryptedBlobStore(inner, keys([['k1', KEY_A]], 'k1'));
  await store.put('aa/obj', bodyOf(plain, [10_007]));
  return { inner, store, sealed: await inner.raw('aa/obj') };
}

const read = async (store: BlobStore, range?: GetOptions['range']) =>
  readAll(await store.get('aa/obj', range ? { range } : {}));

describe('EncryptedBlobStore', () => {
  const plain = testBytes(3 * CHUNK_BYTES + 1234, 5);
  const sealedChunk = CHUNK_BYTES + TAG_BYTES;

  it('stores ciphertext (not the plaintext) under the key id, and reports plaintext sizes', async () => {
    const { store, sealed } = await setup(plain);
    expect(sealed.length).toBe(HEADER_BYTES + plain.length + 4 * TAG_BYTES);
    expect(sealed.subarray(0, 4).toString()).toBe('STRE');
    expect(sealed.indexOf(plain.subarray(1000, 1032))).toBe(-1);
    expect((await store.stat('aa/obj')).size).toBe(plain.length);
    expect((await read(store)).equals(plain)).toBe(true);
  });

  it('encrypts the same plaintext differently each time (random nonce prefix)', async () => {
    const a = await setup(plain);
    const b = await setup(plain);
    expect(a.sealed.equals(b.sealed)).toBe(false);
  });

  it('reads a range by fetching only the header and the covering chunks', async () => {
    const { inner, store } = await setup(plain);
    inner.ranges.length = 0;
    const start = CHUNK_BYTES + 5;
    const back = await read(store, { start, end: start + 10 });
    expect(back.equals(plain.subarray(start, start + 11))).toBe(true);
    expect(inner.ranges).toEqual([
      { start: 0, end: HEADER_BYTES - 1 },
      { start: HEADER_BYTES + sealedChunk, end: HEADER_BYTES + 2 * sealedChunk - 1 },
    ]);
  });

  const tamperings: [string, (sealed: Buffer) => Buffer][] = [
    ['a flipped bit in a chunk', (s) => flip(s, HEADER_BYTES + sealedChunk + 77)],
    ['a flipped bit in a tag', (s) => flip(s, s.length - 1)],
    ['a flipped bit in the header nonce', (s) => flip(s, HEADER_BYTES - 1)],
    ['truncation to whole chunks', (s) => s.subarray(0, HEADER_BYTES + 2 * sealedChunk)],
    ['truncation mid-chunk', (s) => s.subarray(0, s.length - 100)],
    [
      'two chunks swapped',
      (s) =>
        Buffer.concat([
          s.subarray(0, HEADER_BYTES),
          s.subarray(HEADER_BYTES + sealedChunk, HEADER_BYTES + 2 * sealedChunk),
          s.subarray(HEADER_BYTES, HEADER_BYTES + sealedChunk),
          s.subarray(HEADER_BYTES + 2 * sealedChunk),
        ]),
    ],
    [
      'a chunk appended',
      (s) => Buffer.concat([s, s.subarray(HEADER_BYTES, HEADER_BYTES + sealedChunk)]),
    ],
    ['the header only', (s) => s.subarray(0, HEADER_BYTES)],
  ];

  it.each(tamperings)(
    'detects %s on a whole read and never returns wrong bytes',
    async (_, tamper) => {
      const { inner, store, sealed } = await setup(plain);
      await inner.replace('aa/obj', tamper(sealed));
      const error = await read(store).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BlobIntegrityError);
      expect(error).toMatchObject({ code: 'storage.integrity', key: 'aa/obj' });
    },
  );

  it('detects a tampered chunk on a range read of that chunk', async () => {
    const { inner, store, sealed } = await setup(plain);
    await inner.replace('aa/obj', flip(sealed, HEADER_BYTES + 2 * sealedChunk + 3));
    await expect(
      read(store, { start: 2 * CHUNK_BYTES, end: 2 * CHUNK_BYTES + 9 }),
    ).rejects.toBeInstanceOf(BlobIntegrityError);
    // Chunks that were not touched still read correctly.
    expect((await read(store, { start: 0, end: 99 })).equals(plain.subarray(0, 100))).toBe(true);
  });

  it('detects a chunk swapped in from another object under the same key', async () => {
    const one = await setup(plain);
    const two = await setup(plain);
    const mixed = Buffer.concat([
      one.sealed.subarray(0, HEADER_BYTES + sealedChunk),
      two.sealed.subarray(HEADER_BYTES + sealedChunk),
    ]);
    await one.inner.replace('aa/obj', mixed);
    await expect(read(one.store)).rejects.toBeInstanceOf(BlobIntegrityError);
  });

  it('refuses to decrypt with the wrong key under the same id', async () => {
    const { inner } = await setup(plain);
    const wrong = new EncryptedBlobStore(inner, keys([['k1', KEY_B]], 'k1'));
    await expect(read(wrong)).rejects.toBeInstanceOf(BlobIntegrityError);
  });

  it('names an unknown key id, never a key', async () => {
    const { inner } = await setup(plain);
    const other = new EncryptedBlobStore(inner, keys([['k2', KEY_B]], 'k2'));
    const error = await read(other).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EncryptionKeyUnknownError);
    expect((error as Error).message).toContain('"k1"');
    expect((error as Error).message).not.toContain(KEY_B.toString('base64'));
    await expect(read(other, { start: 0, end: 1 })).rejects.toBeInstanceOf(
      EncryptionKeyUnknownError,
    );
  });

  it('checks the header before handing out a whole-object stream (get itself rejects)', async () => {
    const { inner } = await setup(plain);
    const other = new EncryptedBlobStore(inner, keys([['k2', KEY_B]], 'k2'));
    // get() must reject, not resolve to a stream that fails later: a WADO response would
    // otherwise start with 200 and be cut short instead of answering with an error.
    await expect(other.get('aa/obj')).rejects.toBeInstanceOf(EncryptionKeyUnknownError);
    await inner.replace('aa/obj', Buffer.from('not an encrypted object at all, just bytes'));
    await expect(other.get('aa/obj')).rejects.toBeInstanceOf(BlobIntegrityError);
  });

  it('rotates: new objects use the active key, old ones stay readable', async () => {
    const { inner } = await setup(plain);
    const rotated = new EncryptedBlobStore(
      inner,
      keys(
        [
          ['k1', KEY_A],
          ['k2', KEY_B],
        ],
        'k2',
      ),
    );
    await rotated.put('aa/new', bodyOf(Buffer.from('after rotation')));
    expect((await inner.raw('aa/new')).subarray(6, 8).toString()).toBe('k2');
    expect((await read(rotated)).equals(plain)).toBe(true);
    expect((await readAll(await rotated.get('aa/new'))).toString()).toBe('after rotation');
  });
});

function flip(bytes: Buffer, at: number): Buffer {
  const copy = Buffer.from(bytes);
  copy[at] = copy[at]! ^ 0x01;
  return copy;
}

import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { describeBlobStoreContract, readAll } from './blob-store.contract.js';
import { MemoryBlobStore } from './memory-blob-store.js';
import { ObservedBlobStore, type StorageObserver } from './observed-blob-store.js';

const silent: StorageObserver = { begin: () => () => {} };

describeBlobStoreContract('observed memory', () =>
  Promise.resolve({
    store: new ObservedBlobStore(new MemoryBlobStore('hot'), silent),
    cleanup: () => Promise.resolve(),
  }),
);

function recording() {
  const seen: string[] = [];
  const observer: StorageObserver = {
    begin: (tier, operation) => (error) =>
      seen.push(`${tier} ${operation} ${error === undefined ? 'ok' : (error as Error).name}`),
  };
  return { seen, observer };
}

describe('ObservedBlobStore', () => {
  it('reports each operation with its tier and outcome, never the key', async () => {
    const { seen, observer } = recording();
    const store = new ObservedBlobStore(new MemoryBlobStore('warm'), observer);
    await store.put('aa/one', Readable.from([Buffer.from('bytes')]));
    expect(await readAll(await store.get('aa/one'))).toEqual(Buffer.from('bytes'));
    await expect(store.get('aa/missing')).rejects.toThrow();
    await store.exists('aa/one');
    await store.stat('aa/one');
    await store.delete('aa/one');
    expect(seen).toEqual([
      'warm put ok',
      'warm get ok',
      'warm get BlobNotFoundError',
      'warm exists ok',
      'warm stat ok',
      'warm delete ok',
    ]);
    expect(store.name).toBe('warm');
  });

  it('keeps an absent probe absent (readiness then falls back to a lookup)', () => {
    expect(new ObservedBlobStore(new MemoryBlobStore(), silent).probe).toBeUndefined();
  });
});

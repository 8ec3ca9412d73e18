import type { Readable } from 'node:stream';
import type {
  BlobKey,
  BlobStat,
  BlobStore,
  GetOptions,
  PutOptions,
  PutResult,
} from './blob-store.js';

/** The operations an observer is told of (`list` is a maintenance walk, not timed). */
export type StorageOperation = 'put' | 'get' | 'stat' | 'exists' | 'delete';

/**
 * Told of every storage operation of a tier: `begin` is called as it starts and returns the
 * function called once it has finished, with the error when it failed. Metrics time it and
 * count failures; tracing opens a span. Observers see the tier name and the operation only,
 * never the key (keys say nothing of patients, but they are unbounded as label values).
 */
export interface StorageObserver {
  begin(tier: string, operation: StorageOperation): (error?: unknown) => void;
}

/**
 * A BlobStore decorator that reports each operation to an observer and otherwise passes
 * everything through unchanged (errors included). `get` is finished when its stream is open,
 * i.e. time to first byte: the body's own pace belongs to the client reading it. A stream that
 * fails later is reported as a second, failed `get`, so read errors are counted wherever they
 * happen.
 */
export class ObservedBlobStore implements BlobStore {
  readonly name: string;
  /** Present only when the backend has one: readiness falls back to a lookup otherwise. */
  readonly probe?: () => Promise<void>;

  constructor(
    private readonly inner: BlobStore,
    private readonly observer: StorageObserver,
  ) {
    this.name = inner.name;
    if (inner.probe) this.probe = () => inner.probe!();
  }

  put(key: BlobKey, body: Readable, options?: PutOptions): Promise<PutResult> {
    return this.observe('put', () => this.inner.put(key, body, options));
  }

  async get(key: BlobKey, options?: GetOptions): Promise<Readable> {
    const stream = await this.observe('get', () => this.inner.get(key, options));
    stream.once('error', (error) => this.observer.begin(this.name, 'get')(error));
    return stream;
  }

  stat(key: BlobKey): Promise<BlobStat> {
    return this.observe('stat', () => this.inner.stat(key));
  }

  exists(key: BlobKey): Promise<boolean> {
    return this.observe('exists', () => this.inner.exists(key));
  }

  delete(key: BlobKey): Promise<void> {
    return this.observe('delete', () => this.inner.delete(key));
  }

  list(prefix?: string): AsyncIterable<BlobKey> {
    return this.inner.list(prefix);
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  private async observe<T>(operation: StorageOperation, run: () => Promise<T>): Promise<T> {
    const end = this.observer.begin(this.name, operation);
    try {
      const result = await run();
      end();
      return result;
    } catch (error) {
      end(error);
      throw error;
    }
  }
}

/** Every tier wrapped, same names, same order (the first is still the landing tier). */
export function observeStores(
  stores: ReadonlyMap<string, BlobStore>,
  observer: StorageObserver,
): Map<string, BlobStore> {
  return new Map(
    [...stores].map(([name, store]) => [name, new ObservedBlobStore(store, observer)]),
  );
}

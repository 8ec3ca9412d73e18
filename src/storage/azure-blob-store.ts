import type { Readable } from 'node:stream';
import {
  BlobServiceClient,
  StorageSharedKeyCredential,
  type BlockBlobClient,
  type ContainerClient,
  type StoragePipelineOptions,
} from '@azure/storage-blob';
import type {
  BlobKey,
  BlobStat,
  BlobStore,
  GetOptions,
  PutOptions,
  PutResult,
} from './blob-store.js';
import { tapBody } from './body-tap.js';
import {
  azureErrorCode,
  azureStatus,
  isAzureArchived,
  isAzureInvalidRange,
  isAzureKeyTaken,
  mapAzureError,
} from './azure-errors.js';
import {
  AZURE_DEFAULTS,
  type AzureAccessTier,
  type AzureBlobStoreOptions,
} from './azure-options.js';
import {
  BlobExistsError,
  BlobOfflineError,
  BlobRangeError,
  StorageAbortedError,
  StorageSettingError,
  StorageUnavailableError,
} from './errors.js';
import { guardStream } from './guard-stream.js';
import { assertSafeKey, assertSafePrefix, isSafeKey } from './keys.js';
import { abortFailure, bodyFailure } from './put-failure.js';
import { validRangeShape } from './range.js';
import { cutToRange } from './range-cut.js';

export type { AzureAccessTier, AzureBlobStoreOptions } from './azure-options.js';

/**
 * Retry-After hints while an archived blob rehydrates: Standard priority completes within 15
 * hours, High within an hour for blobs under 10 GiB ("Blob rehydration from the archive tier").
 */
const REHYDRATE_SECONDS = { Standard: 15 * 3600, High: 3600 } as const;

/**
 * BlobStore on Azure Blob Storage (block blobs) or azurite. Writes stream through
 * `uploadStream`: blocks of `blockSizeBytes` staged `concurrency` at a time, then one Put Block
 * List with `If-None-Match: *`, so the service itself refuses an existing key, and concurrent
 * writers of one key have exactly one winner. A failed or aborted upload commits nothing; its
 * staged blocks are invisible and the service discards them after 7 days.
 */
export class AzureBlobStore implements BlobStore {
  readonly name: string;
  readonly #container: ContainerClient;
  readonly #prefix: string;
  readonly #options: AzureBlobStoreOptions;
  readonly #rehydrating = new Set<BlobKey>();
  #ready: Promise<void> | undefined;
  #closed = false;

  constructor(options: AzureBlobStoreOptions) {
    this.name = options.name;
    this.#options = options;
    this.#prefix = options.prefix ?? '';
    this.#container = serviceClient(options).getContainerClient(options.container);
  }

  async put(key: BlobKey, body: Readable, options: PutOptions = {}): Promise<PutResult> {
    const { signal, contentLength } = options;
    try {
      this.#assertOpen();
      assertSafeKey(key);
      if (signal?.aborted) throw abortFailure(key, signal);
    } catch (error) {
      body.destroy();
      throw error;
    }
    const tap = tapBody(key, body, contentLength);
    // uploadStream (its BufferScheduler) waits for the source's 'end' and notices neither a
    // source destroyed with an error nor its abortSignal while waiting, so the put races it
    // against the body's failure and the caller's signal; the abandoned upload is aborted and
    // never commits (the commit needs the source's end), its staged blocks expire unseen.
    const upload = new AbortController();
    let onAbort: (() => void) | undefined;
    const failed = new Promise<never>((_resolve, reject) => {
      const fail = (error: unknown) => {
        upload.abort();
        reject(error instanceof Error ? error : new Error('body closed early'));
      };
      tap.stream.once('error', fail);
      tap.stream.once('close', () => {
        if (!tap.stream.readableEnded) fail(tap.failure());
      });
      onAbort = () => fail(signal?.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    failed.catch(() => {}); // observed by the race below; may reject before it starts
    try {
      await this.#ensureContainer();
      const o = this.#options;
      const uploading = this.#blob(key).uploadStream(
        tap.stream,
        o.blockSizeBytes ?? AZURE_DEFAULTS.blockSizeBytes,
        o.concurrency ?? AZURE_DEFAULTS.concurrency,
        {
          conditions: { ifNoneMatch: '*' },
          blobHTTPHeaders: { blobContentType: 'application/octet-stream' },
          ...(o.accessTier ? { tier: o.accessTier } : {}),
          abortSignal: upload.signal,
        },
      );
      uploading.catch(() => {}); // settled or abandoned; the race below reports
      await Promise.race([uploading, failed]);
      return { key, size: tap.size() };
    } catch (error) {
      tap.stream.destroy();
      body.destroy();
      if (signal?.aborted) throw abortFailure(key, signal);
      const failure = tap.failure();
      if (failure !== undefined) throw bodyFailure(key, failure);
      if (isAzureKeyTaken(error)) throw new BlobExistsError(key, { cause: error });
      throw mapAzureError(key, 'put', error);
    } finally {
      if (onAbort) signal?.removeEventListener('abort', onAbort);
    }
  }

  async get(key: BlobKey, options: GetOptions = {}): Promise<Readable> {
    const { signal, range } = options;
    this.#assertOpen();
    assertSafeKey(key);
    if (signal?.aborted) throw new StorageAbortedError(key, { cause: signal.reason });
    if (range !== undefined && !validRangeShape(range)) {
      throw new BlobRangeError(key, (await this.stat(key)).size);
    }
    let response;
    try {
      await this.#ensureContainer();
      const count = range?.end !== undefined ? range.end - range.start + 1 : undefined;
      response = await this.#blob(key).download(range?.start ?? 0, count, {
        ...(signal ? { abortSignal: signal } : {}),
        maxRetryRequests: this.#options.maxRetries ?? AZURE_DEFAULTS.maxRetries,
      });
    } catch (error) {
      if (signal?.aborted) throw new StorageAbortedError(key, { cause: signal.reason });
      if (isAzureInvalidRange(error)) throw new BlobRangeError(key, (await this.stat(key)).size);
      if (isAzureArchived(error)) throw await this.#offline(key, error);
      throw mapAzureError(key, 'get', error);
    }
    const body = response.readableStreamBody as Readable;
    if (range === undefined) return guardStream('azure', key, body, signal);
    // Offset 0 without a count sends no Range header, so an empty blob answers 200: the cut
    // below turns that into the BlobRangeError the contract wants.
    return guardStream(
      'azure',
      key,
      cutToRange(
        key,
        range,
        { contentRange: response.contentRange, contentLength: response.contentLength },
        body,
      ),
      signal,
    );
  }

  async stat(key: BlobKey): Promise<BlobStat> {
    this.#assertOpen();
    assertSafeKey(key);
    try {
      await this.#ensureContainer();
      const properties = await this.#blob(key).getProperties();
      return {
        key,
        size: properties.contentLength ?? 0,
        modifiedAt: properties.lastModified ?? new Date(0),
      };
    } catch (error) {
      throw mapAzureError(key, 'stat', error);
    }
  }

  async exists(key: BlobKey): Promise<boolean> {
    this.#assertOpen();
    assertSafeKey(key);
    try {
      await this.#ensureContainer();
      return await this.#blob(key).exists();
    } catch (error) {
      throw mapAzureError(key, 'exists', error);
    }
  }

  async delete(key: BlobKey): Promise<void> {
    this.#assertOpen();
    assertSafeKey(key);
    try {
      await this.#ensureContainer();
      await this.#blob(key).deleteIfExists({ deleteSnapshots: 'include' });
    } catch (error) {
      throw mapAzureError(key, 'delete', error);
    }
  }

  async *list(prefix = ''): AsyncIterable<BlobKey> {
    this.#assertOpen();
    assertSafePrefix(prefix);
    try {
      await this.#ensureContainer();
      // The iterator follows continuation markers page by page (List Blobs, 5000 per page).
      for await (const blob of this.#container.listBlobsFlat({ prefix: this.#prefix + prefix })) {
        const key = blob.name.slice(this.#prefix.length);
        if (isSafeKey(key)) yield key;
      }
    } catch (error) {
      throw mapAzureError(prefix || '(all)', 'list', error);
    }
  }

  /**
   * Changes a blob's access tier in place (Set Blob Tier). Moving out of Archive starts a
   * rehydration that takes hours; reads answer BlobOfflineError until it completes.
   */
  async setAccessTier(key: BlobKey, tier: AzureAccessTier): Promise<void> {
    this.#assertOpen();
    assertSafeKey(key);
    try {
      await this.#blob(key).setAccessTier(tier, {
        rehydratePriority: this.#options.rehydratePriority ?? AZURE_DEFAULTS.rehydratePriority,
      });
    } catch (error) {
      throw mapAzureError(key, 'set access tier', error);
    }
  }

  /** Starts rehydrating an archived blob; true when started now or already in progress. */
  async requestRestore(key: BlobKey): Promise<boolean> {
    try {
      await this.setAccessTier(key, this.#options.rehydrateTier ?? AZURE_DEFAULTS.rehydrateTier);
      this.#rehydrating.add(key);
      return true;
    } catch (error) {
      const code = azureErrorCode((error as { cause?: unknown }).cause);
      if (code === 'BlobBeingRehydrated') {
        this.#rehydrating.add(key);
        return true;
      }
      throw error;
    }
  }

  /**
   * At start-up: creates the container when allowed (else checks it exists), so refused
   * credentials, a missing container or an unreachable account stop the server before the
   * first STOW meets them.
   */
  async probe(): Promise<void> {
    this.#assertOpen();
    try {
      if (this.#options.createContainer === false) await this.#container.getProperties();
      else {
        await this.#createContainer();
        this.#ready = Promise.resolve();
      }
    } catch (error) {
      throw azureSettingError(error) ?? mapAzureError('(container)', 'probe', error);
    }
  }

  close(): Promise<void> {
    this.#closed = true;
    return Promise.resolve();
  }

  async #offline(key: BlobKey, error: unknown): Promise<BlobOfflineError> {
    const retryAfter =
      REHYDRATE_SECONDS[this.#options.rehydratePriority ?? AZURE_DEFAULTS.rehydratePriority];
    let started = this.#rehydrating.has(key);
    if (!started) {
      try {
        started = await this.requestRestore(key);
      } catch {
        started = false; // still offline; the next read tries again
      }
    }
    return new BlobOfflineError(key, retryAfter, started, { cause: error });
  }

  #blob(key: BlobKey): BlockBlobClient {
    return this.#container.getBlockBlobClient(this.#prefix + key);
  }

  /** Creates the container once per store when allowed (idempotent: createIfNotExists). */
  #ensureContainer(): Promise<void> {
    if (this.#options.createContainer === false) return Promise.resolve();
    this.#ready ??= this.#createContainer().then(
      () => undefined,
      (error: unknown) => {
        this.#ready = undefined;
        throw mapAzureError(this.#options.container, 'create container', error);
      },
    );
    return this.#ready;
  }

  /**
   * Create Container needs account-level rights; a SAS scoped to the container (the usual way to
   * grant one application one container) is refused with 403. Then the container must already
   * exist: one listing call proves it and that the SAS can list (verify needs that too).
   */
  async #createContainer(): Promise<void> {
    try {
      await this.#container.createIfNotExists();
    } catch (error) {
      if (azureStatus(error) !== 403) throw error;
      await this.#container.listBlobsFlat().byPage({ maxPageSize: 1 }).next();
    }
  }

  #assertOpen(): void {
    if (this.#closed) throw new StorageUnavailableError(`azure blob store ${this.name} is closed`);
  }
}

/** What a failed container call says about the settings; undefined when nothing. */
function azureSettingError(error: unknown): StorageSettingError | undefined {
  const status = azureStatus(error);
  const code = azureErrorCode(error);
  const because = { cause: error };
  if (code === 'ContainerNotFound' || status === 404) {
    return new StorageSettingError('container', 'the container does not exist', because);
  }
  // 403 AuthenticationFailed / AuthorizationFailure: a wrong key, an expired or narrow SAS.
  if (status === 403 || code === 'AuthenticationFailed' || code.startsWith('Authorization')) {
    return new StorageSettingError(
      'credentials',
      `the account refused the credentials (${code})`,
      because,
    );
  }
  // No HTTP answer (after the pipeline's retries): refused, unresolvable or timed out.
  if (status === undefined) {
    return new StorageSettingError(
      'connection',
      `the account endpoint cannot be reached (${code})`,
      because,
    );
  }
  return undefined;
}

/** One of: connection string; account name + key (+ URL); account URL + SAS. */
function serviceClient(o: AzureBlobStoreOptions): BlobServiceClient {
  const pipeline: StoragePipelineOptions = {
    // Exponential backoff on throttling (503 ServerBusy) and transient failures.
    retryOptions: {
      maxTries: (o.maxRetries ?? AZURE_DEFAULTS.maxRetries) + 1,
      retryDelayInMs: 500,
      maxRetryDelayInMs: 30_000,
    },
  };
  if (o.connectionString)
    return BlobServiceClient.fromConnectionString(o.connectionString, pipeline);
  if (o.accountName && o.accountKey) {
    const url = o.accountUrl ?? `https://${o.accountName}.blob.core.windows.net`;
    return new BlobServiceClient(
      url,
      new StorageSharedKeyCredential(o.accountName, o.accountKey),
      pipeline,
    );
  }
  if (o.accountUrl && o.sasToken) {
    return new BlobServiceClient(`${o.accountUrl}?${o.sasToken}`, undefined, pipeline);
  }
  throw new StorageUnavailableError('azure blob store: no credentials configured');
}

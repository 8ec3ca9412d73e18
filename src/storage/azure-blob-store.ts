import type { Readable } from 'node:stream';
import {
  BlobServiceClient,
  StorageSharedKeyCredential,
  type BlockBlobClient,
  type ContainerClient,
  type StoragePipelineOptions,
} from '@azure/storage-blob';
import type { BlobKey, BlobStat, ByteRange, PutOptions } from './blob-store.js';
import type { BodyTap } from './body-tap.js';
import { azureErrorCode, azureErrors, azureStatus, mapAzureError } from './azure-errors.js';
import { StorageSettingError, StorageUnavailableError } from './errors.js';
import { assertSafeKey } from './keys.js';
import { RemoteBlobStore, type RemoteBody } from './remote-blob-store.js';

import {
  AZURE_DEFAULTS,
  type AzureAccessTier,
  type AzureBlobStoreOptions,
} from './azure-options.js';

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
export class AzureBlobStore extends RemoteBlobStore {
  protected readonly prefix: string;
  readonly #container: ContainerClient;
  readonly #options: AzureBlobStoreOptions;
  #ready: Promise<void> | undefined;

  constructor(options: AzureBlobStoreOptions) {
    super(options.name, azureErrors);
    this.#options = options;
    this.prefix = options.prefix ?? '';
    this.#container = serviceClient(options).getContainerClient(options.container);
  }

  protected async upload(key: BlobKey, tap: BodyTap, options: PutOptions): Promise<void> {
    const { signal } = options;
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
    } finally {
      if (onAbort) signal?.removeEventListener('abort', onAbort);
    }
  }

  protected async download(
    key: BlobKey,
    range: ByteRange | undefined,
    signal: AbortSignal | undefined,
  ): Promise<RemoteBody> {
    await this.#ensureContainer();
    const count = range?.end !== undefined ? range.end - range.start + 1 : undefined;
    const response = await this.#blob(key).download(range?.start ?? 0, count, {
      ...(signal ? { abortSignal: signal } : {}),
      maxRetryRequests: this.#options.maxRetries ?? AZURE_DEFAULTS.maxRetries,
    });
    // Offset 0 without a count sends no Range header, so an empty blob answers 200: the core's
    // cut to the range turns that into the BlobRangeError the contract wants.
    return {
      body: response.readableStreamBody as Readable,
      contentRange: response.contentRange,
      contentLength: response.contentLength,
    };
  }

  protected async head(key: BlobKey): Promise<Omit<BlobStat, 'key'>> {
    await this.#ensureContainer();
    const properties = await this.#blob(key).getProperties();
    return {
      size: properties.contentLength ?? 0,
      modifiedAt: properties.lastModified ?? new Date(0),
    };
  }

  /** Get Blob Properties answered as a boolean by the SDK, rather than `stat`'s mapped 404. */
  override async exists(key: BlobKey): Promise<boolean> {
    this.assertOpen();
    assertSafeKey(key);
    try {
      await this.#ensureContainer();
      return await this.#blob(key).exists();
    } catch (error) {
      throw mapAzureError(key, 'exists', error);
    }
  }

  protected async remove(key: BlobKey): Promise<void> {
    await this.#ensureContainer();
    await this.#blob(key).deleteIfExists({ deleteSnapshots: 'include' });
  }

  protected async *names(prefix: string): AsyncIterable<string> {
    await this.#ensureContainer();
    // The iterator follows continuation markers page by page (List Blobs, 5000 per page).
    for await (const blob of this.#container.listBlobsFlat({ prefix })) yield blob.name;
  }

  /**
   * Changes a blob's access tier in place (Set Blob Tier). Moving out of Archive starts a
   * rehydration that takes hours; reads answer BlobOfflineError until it completes.
   */
  async setAccessTier(key: BlobKey, tier: AzureAccessTier): Promise<void> {
    this.assertOpen();
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
  protected async startRestore(key: BlobKey): Promise<boolean> {
    try {
      await this.setAccessTier(key, this.#options.rehydrateTier ?? 'Hot');
      return true;
    } catch (error) {
      const code = azureErrorCode((error as { cause?: unknown }).cause);
      if (code === 'BlobBeingRehydrated') return true;
      throw error;
    }
  }

  protected restoreSeconds(): number {
    return REHYDRATE_SECONDS[this.#options.rehydratePriority ?? 'Standard'];
  }

  /**
   * At start-up: creates the container when allowed (else checks it exists), so refused
   * credentials, a missing container or an unreachable account stop the server before the
   * first STOW meets them.
   */
  async probe(): Promise<void> {
    this.assertOpen();
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

  #blob(key: BlobKey): BlockBlobClient {
    return this.#container.getBlockBlobClient(this.prefix + key);
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

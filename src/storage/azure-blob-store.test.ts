import { createHash } from 'node:crypto';
import { BlobServiceClient, ContainerSASPermissions } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AzureBlobStore, type AzureBlobStoreOptions } from './azure-blob-store.js';
import { bodyOf, describeBlobStoreContract, readAll, testBytes } from './blob-store.contract.js';
import { BlobOfflineError, StorageSettingError, StorageUnavailableError } from './errors.js';
import { startFlakyProxy } from './testing/flaky-proxy.js';
import {
  startAzureEmulator,
  uniqueContainerName,
  type AzureEmulator,
} from './testing/azure-emulator.js';

const MiB = 1024 * 1024;
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
let emulator: AzureEmulator;

beforeAll(async () => {
  emulator = await startAzureEmulator();
});
afterAll(async () => {
  await emulator?.stop();
});

function newStore(extra: Partial<AzureBlobStoreOptions> = {}) {
  const container = uniqueContainerName();
  const store = new AzureBlobStore({
    name: 'warm',
    container,
    connectionString: emulator.connectionString,
    prefix: 'strata/',
    // Small blocks, so the contract's multi-MiB bodies are staged as several blocks.
    blockSizeBytes: 1 * MiB,
    concurrency: 3,
    maxRetries: 1,
    ...extra,
  });
  return { store, container };
}

describeBlobStoreContract(
  'azure (azurite)',
  () => Promise.resolve({ store: newStore().store, cleanup: () => Promise.resolve() }),
  { largeObjectBytes: 3 * MiB + 77, chunkBoundary: 1 * MiB },
);

describe('AzureBlobStore', () => {
  it('stores under its prefix with the access tier, changes the tier', async () => {
    const { store, container } = newStore({ accessTier: 'Cool' });
    const bytes = testBytes(2 * MiB + 3);
    await store.put('aa/one', bodyOf(bytes, [65_536]));
    const blob = BlobServiceClient.fromConnectionString(emulator.connectionString)
      .getContainerClient(container)
      .getBlobClient('strata/aa/one');
    const properties = await blob.getProperties();
    expect(properties.contentLength).toBe(bytes.length);
    expect(properties.accessTier).toBe('Cool');
    await store.setAccessTier('aa/one', 'Hot');
    expect((await blob.getProperties()).accessTier).toBe('Hot');
    expect(sha256(await readAll(await store.get('aa/one')))).toBe(sha256(bytes));
  });

  it('answers a read of an archived blob with BlobOfflineError and starts rehydration', async () => {
    const { store } = newStore();
    await store.put('aa/cold', bodyOf(Buffer.from('archived bytes')));
    await store.setAccessTier('aa/cold', 'Archive');
    const error = await store.get('aa/cold').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BlobOfflineError);
    expect(error).toMatchObject({ retryAfterSeconds: 15 * 3600, restoreStarted: true });
    expect((await store.stat('aa/cold')).size).toBe(14);
  });

  it('signs with an account name and key as well as a connection string', async () => {
    const { store } = newStore({
      connectionString: undefined,
      accountName: emulator.accountName,
      accountKey: emulator.accountKey,
      accountUrl: emulator.accountUrl,
    });
    await store.put('aa/key', bodyOf(Buffer.from('signed')));
    expect((await readAll(await store.get('aa/key'))).toString()).toBe('signed');
  });

  it('probes at start-up: creates the container, names the setting at fault otherwise', async () => {
    const { store, container } = newStore();
    await expect(store.probe()).resolves.toBeUndefined();
    const service = BlobServiceClient.fromConnectionString(emulator.connectionString);
    expect(await service.getContainerClient(container).exists()).toBe(true);
    const setting = async (extra: Partial<AzureBlobStoreOptions>) => {
      const error = await newStore({ maxRetries: 0, ...extra })
        .store.probe()
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StorageSettingError);
      return (error as StorageSettingError).setting;
    };
    expect(await setting({ createContainer: false })).toBe('container');
    const wrongKey = Buffer.alloc(64, 7).toString('base64');
    expect(
      await setting({
        connectionString: emulator.connectionString.replace(emulator.accountKey, wrongKey),
      }),
    ).toBe('credentials');
    expect(
      await setting({
        connectionString: emulator.connectionString.replace(/127\.0\.0\.1:\d+/, '127.0.0.1:9'),
      }),
    ).toBe('connection');
  });

  // azurite never throttles: a proxy in front of it answers the first requests with the 503
  // ServerBusy the service sends under load, and the SDK pipeline must back off and retry.
  it('retries 503 ServerBusy with backoff up to maxRetries, then reports it', async () => {
    const proxy = await startFlakyProxy(emulator.accountUrl);
    try {
      const serverBusy = {
        status: 503,
        headers: { 'Content-Type': 'application/xml', 'x-ms-error-code': 'ServerBusy' },
        body:
          '<?xml version="1.0" encoding="utf-8"?><Error><Code>ServerBusy</Code>' +
          '<Message>The server is busy.</Message></Error>',
      };
      const viaProxy = emulator.connectionString.replace(/http:\/\/127\.0\.0\.1:\d+/, proxy.url);
      const { store } = newStore({ connectionString: viaProxy, maxRetries: 2 });
      const bytes = testBytes(2 * MiB + 9); // several blocks, each request may be throttled
      proxy.failNext(2, serverBusy, (req) => req.method === 'PUT');
      await store.put('aa/busy', bodyOf(bytes, [65_536]));
      proxy.failNext(2, serverBusy, (req) => req.method === 'GET');
      expect(sha256(await readAll(await store.get('aa/busy')))).toBe(sha256(bytes));
      expect(proxy.failed()).toBe(4);

      const { store: impatient } = newStore({ connectionString: viaProxy, maxRetries: 0 });
      await impatient.probe();
      proxy.failNext(1, serverBusy);
      const error = await impatient.stat('aa/x').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StorageUnavailableError);
      expect((error as Error).message).toMatch(/HTTP 503/);
      expect(proxy.failed()).toBe(5);
    } finally {
      await proxy.stop();
    }
  });

  it('works with a SAS scoped to an existing container (which may not create containers)', async () => {
    const container = uniqueContainerName('sas');
    const client = BlobServiceClient.fromConnectionString(
      emulator.connectionString,
    ).getContainerClient(container);
    await client.create();
    const sasUrl = await client.generateSasUrl({
      permissions: ContainerSASPermissions.parse('racwdl'),
      expiresOn: new Date(Date.now() + 3_600_000),
    });
    const store = new AzureBlobStore({
      name: 'sas',
      container,
      accountUrl: emulator.accountUrl,
      sasToken: sasUrl.split('?')[1]!,
      maxRetries: 0,
    });
    await expect(store.probe()).resolves.toBeUndefined();
    await store.put('aa/sas', bodyOf(Buffer.from('granted')));
    expect((await readAll(await store.get('aa/sas'))).toString()).toBe('granted');
    // A container SAS for a container that does not exist is still refused at the probe.
    const missing = new AzureBlobStore({
      name: 'sas',
      container: uniqueContainerName('gone'),
      accountUrl: emulator.accountUrl,
      sasToken: sasUrl.split('?')[1]!,
      maxRetries: 0,
    });
    await expect(missing.probe()).rejects.toBeInstanceOf(StorageSettingError);
  });

  it('maps an unreachable endpoint to StorageUnavailableError after its retries', async () => {
    const store = new AzureBlobStore({
      name: 'azure',
      container: 'nowhere',
      accountName: emulator.accountName,
      accountKey: emulator.accountKey,
      accountUrl: 'http://127.0.0.1:9/devstoreaccount1',
      maxRetries: 0,
    });
    await expect(store.stat('aa/x')).rejects.toBeInstanceOf(StorageUnavailableError);
    await expect(store.put('aa/x', bodyOf(Buffer.from('x')))).rejects.toBeInstanceOf(
      StorageUnavailableError,
    );
  });
});

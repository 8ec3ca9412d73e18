import { createHash } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bodyOf, describeBlobStoreContract, readAll, testBytes } from './blob-store.contract.js';
import {
  BlobBodyError,
  BlobOfflineError,
  StorageAbortedError,
  StorageSettingError,
  StorageUnavailableError,
} from './errors.js';
import { S3BlobStore, type S3BlobStoreOptions } from './s3-blob-store.js';
import { startFlakyProxy } from './testing/flaky-proxy.js';
import { startS3Emulator, uniqueBucketName, type S3Emulator } from './testing/s3-emulator.js';

const MiB = 1024 * 1024;
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
let emulator: S3Emulator;

beforeAll(async () => {
  emulator = await startS3Emulator();
});
afterAll(async () => {
  await emulator?.stop();
});

async function newStore(extra: Partial<S3BlobStoreOptions> = {}): Promise<S3BlobStore> {
  return (await newBucketStore(extra)).store;
}

async function newBucketStore(
  extra: Partial<S3BlobStoreOptions> = {},
): Promise<{ store: S3BlobStore; bucket: string }> {
  const bucket = uniqueBucketName();
  await emulator.createBucket(bucket);
  const store = new S3BlobStore({
    name: 'cold',
    bucket,
    region: emulator.region,
    endpoint: emulator.endpoint,
    forcePathStyle: true,
    credentials: emulator.credentials,
    prefix: 'strata/',
    // The smallest part S3 allows, so the contract's multi-MiB bodies take the multipart path.
    partSizeBytes: 5 * MiB,
    multipartThresholdBytes: 1 * MiB,
    maxAttempts: 2,
    ...extra,
  });
  return { store, bucket };
}

describeBlobStoreContract(
  's3 (s3rver)',
  async () => ({ store: await newStore(), cleanup: () => Promise.resolve() }),
  { largeObjectBytes: 11 * MiB + 17, chunkBoundary: 5 * MiB },
);

describe('S3BlobStore', () => {
  const client = () =>
    new S3Client({
      region: emulator.region,
      endpoint: emulator.endpoint,
      forcePathStyle: true,
      credentials: emulator.credentials,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });

  it('stores under its prefix with the storage class, changes the class in place', async () => {
    const { store, bucket } = await newBucketStore({ storageClass: 'STANDARD_IA' });
    const bytes = testBytes(6 * MiB + 1);
    await store.put('aa/one', bodyOf(bytes, [65_536]));
    const s3 = client();
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'strata/aa/one' }));
    expect(head.ContentLength).toBe(bytes.length);
    expect(head.StorageClass).toBe('STANDARD_IA');
    await store.setStorageClass('aa/one', 'GLACIER');
    const after = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'strata/aa/one' }));
    expect(after.StorageClass).toBe('GLACIER');
    expect(sha256(await readAll(await store.get('aa/one')))).toBe(sha256(bytes));
    s3.destroy();
    await store.close();
  });

  // s3rver does not implement ListMultipartUploads, so the test records the commands the real
  // client sends (an SDK middleware, not a mock) and checks the upload was aborted.
  it('aborts the multipart upload when the body fails after several parts', async () => {
    const s3 = client();
    const sent: string[] = [];
    s3.middlewareStack.add(
      (next, context) => (args) => {
        sent.push(context.commandName ?? '?');
        return next(args);
      },
      { step: 'initialize' },
    );
    const { store } = await newBucketStore({ client: s3 });
    const body = new PassThrough();
    body.write(testBytes(11 * MiB));
    setTimeout(() => body.destroy(new Error('client went away')), 200);
    await expect(store.put('aa/broken', body)).rejects.toBeInstanceOf(BlobBodyError);
    expect(sent).toContain('CreateMultipartUploadCommand');
    expect(sent).toContain('AbortMultipartUploadCommand');
    expect(sent).not.toContain('CompleteMultipartUploadCommand');
    expect(await store.exists('aa/broken')).toBe(false);
    await store.close();
    s3.destroy();
  });

  it('probes at start-up: passes for a reachable bucket, names the setting at fault otherwise', async () => {
    const { store } = await newBucketStore();
    await expect(store.probe()).resolves.toBeUndefined();
    const setting = async (extra: Partial<S3BlobStoreOptions>) => {
      const other = new S3BlobStore({
        name: 's3',
        bucket: (await newBucketStore()).bucket,
        region: emulator.region,
        endpoint: emulator.endpoint,
        forcePathStyle: true,
        credentials: emulator.credentials,
        maxAttempts: 1,
        ...extra,
      });
      const error = await other.probe().catch((e: unknown) => e);
      await other.close();
      expect(error).toBeInstanceOf(StorageSettingError);
      return (error as StorageSettingError).setting;
    };
    expect(await setting({ bucket: 'no-such-bucket' })).toBe('bucket');
    // s3rver checks the access key id (not the secret): an unknown one is refused with 403.
    expect(
      await setting({ credentials: { accessKeyId: 'NOBODY', secretAccessKey: 'wrong-secret' } }),
    ).toBe('credentials');
    expect(await setting({ endpoint: 'http://127.0.0.1:9' })).toBe('endpoint');
    await store.close();
  });

  // s3rver never throttles: a proxy in front of it answers the first requests with the 503
  // SlowDown S3 sends under load, and the real SDK must back off and retry through it.
  it('retries 503 SlowDown with backoff up to maxAttempts, then reports the throttling', async () => {
    const proxy = await startFlakyProxy(emulator.endpoint);
    try {
      const slowDown = {
        status: 503,
        headers: { 'Content-Type': 'application/xml' },
        body:
          '<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code>' +
          '<Message>Please reduce your request rate.</Message></Error>',
      };
      const { store } = await newBucketStore({ endpoint: proxy.url, maxAttempts: 3 });
      const bytes = testBytes(6 * MiB + 5); // multipart: every part request may be throttled
      proxy.failNext(2, slowDown, (req) => req.method === 'PUT');
      await store.put('aa/throttled', bodyOf(bytes, [65_536]), { contentLength: bytes.length });
      proxy.failNext(2, slowDown, (req) => req.method === 'GET');
      expect(sha256(await readAll(await store.get('aa/throttled')))).toBe(sha256(bytes));
      expect(proxy.failed()).toBe(4);
      await store.close();

      const { store: impatient } = await newBucketStore({ endpoint: proxy.url, maxAttempts: 1 });
      proxy.failNext(1, slowDown);
      const error = await impatient.stat('aa/x').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StorageUnavailableError);
      expect((error as Error).message).toMatch(/HTTP 503/);
      expect(proxy.failed()).toBe(5);
      await impatient.close();
    } finally {
      await proxy.stop();
    }
  });

  it('gives up on a request that gets no answer after requestTimeoutMs and retries it', async () => {
    const proxy = await startFlakyProxy(emulator.endpoint);
    try {
      const { store } = await newBucketStore({
        endpoint: proxy.url,
        requestTimeoutMs: 300,
        maxAttempts: 2,
      });
      await store.put('aa/slow', bodyOf(Buffer.from('answered in the end')));
      proxy.failNext(1, { status: 0, hang: true }, (req) => req.method === 'GET');
      expect((await readAll(await store.get('aa/slow'))).toString()).toBe('answered in the end');
      expect(proxy.failed()).toBe(1);
      await store.close();
    } finally {
      await proxy.stop();
    }
  });

  it('maps an unreachable endpoint to StorageUnavailableError after its retries', async () => {
    const store = new S3BlobStore({
      name: 's3',
      bucket: 'nowhere',
      region: 'us-east-1',
      endpoint: 'http://127.0.0.1:9',
      forcePathStyle: true,
      credentials: emulator.credentials,
      maxAttempts: 2,
    });
    await expect(store.stat('aa/x')).rejects.toBeInstanceOf(StorageUnavailableError);
    await expect(store.get('aa/x')).rejects.toBeInstanceOf(StorageUnavailableError);
    await expect(store.put('aa/x', bodyOf(Buffer.from('x')))).rejects.toBeInstanceOf(
      StorageUnavailableError,
    );
    await store.close();
  });

  // s3rver cannot emulate Glacier: the archived-read path is tested with a client whose send()
  // answers GetObject with the exception S3 sends (403 InvalidObjectState) — the one place we
  // inject an SDK-level error, because no emulator we can start offline produces it.
  it('answers an archived object with BlobOfflineError and sends RestoreObject once', async () => {
    const sent: string[] = [];
    const fake = {
      send: (command: { constructor: { name: string } }) => {
        const name = command.constructor.name;
        sent.push(name);
        if (name === 'GetObjectCommand') {
          return Promise.reject(
            Object.assign(new Error('The operation is not valid for the object storage class'), {
              name: 'InvalidObjectState',
              StorageClass: 'DEEP_ARCHIVE',
              $metadata: { httpStatusCode: 403 },
            }),
          );
        }
        return Promise.resolve({});
      },
      destroy: () => {},
    } as unknown as S3Client;
    const store = new S3BlobStore({
      name: 'glacier',
      bucket: 'b',
      region: 'us-east-1',
      client: fake,
      restoreTier: 'Bulk',
    });
    for (let i = 0; i < 3; i++) {
      const error = await store.get('aa/archived').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BlobOfflineError);
      expect(error).toMatchObject({ retryAfterSeconds: 48 * 3600, restoreStarted: true });
    }
    expect(sent.filter((n) => n === 'RestoreObjectCommand')).toHaveLength(1);
    expect(sent.filter((n) => n === 'GetObjectCommand')).toHaveLength(3);
  });

  // The contract's mid-stream abort lands during the existence check only when the emulator is
  // slow; here the check answers after the abort every time. Before the fix the put waited on
  // the body for ever: the multipart upload's abort listener was added to a signal that had
  // already fired.
  it('refuses a put aborted during its existence check, without waiting on the body', async () => {
    const controller = new AbortController();
    const sent: string[] = [];
    const fake = {
      send: (command: { constructor: { name: string } }) => {
        sent.push(command.constructor.name);
        controller.abort(new Error('client went away'));
        const notFound = Object.assign(new Error('Not Found'), {
          name: 'NotFound',
          $metadata: { httpStatusCode: 404 },
        });
        return Promise.reject(notFound);
      },
      destroy: () => {},
    } as unknown as S3Client;
    const store = new S3BlobStore({ name: 's3', bucket: 'b', region: 'us-east-1', client: fake });
    const body = new PassThrough();
    body.write(testBytes(1000)); // and never ended
    const error = await store
      .put('aa/aborted', body, { signal: controller.signal })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageAbortedError);
    expect((error as Error).cause).toEqual(new Error('client went away'));
    expect(sent).toEqual(['HeadObjectCommand']);
  });
});

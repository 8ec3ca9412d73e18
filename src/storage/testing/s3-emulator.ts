import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** s3rver's fixed credentials: it accepts any key pair whose signature it can verify. */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export interface S3Emulator {
  /** http://127.0.0.1:<port> — use with `forcePathStyle: true`. */
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** Makes a new, empty bucket (names: lowercase, 3–63 chars). */
  createBucket(name: string): Promise<void>;
  stop(): Promise<void>;
}

interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
  configureBuckets?: unknown;
}
type S3rverClass = new (options: Record<string, unknown>) => S3rverInstance;

let bucketCounter = 0;

/** A fresh bucket name per call, so tests sharing one emulator never see each other's keys. */
export function uniqueBucketName(label = 'strata'): string {
  bucketCounter += 1;
  const suffix = `${process.pid.toString(36)}-${Date.now().toString(36)}-${bucketCounter}`;
  return `${label}-${suffix}`.toLowerCase().slice(0, 63);
}

/**
 * Starts s3rver (npm, a Koa S3 emulator) in this process on a random port of 127.0.0.1, storing
 * objects in a temp dir that `stop()` removes. In-process keeps start-up under ~100 ms and needs
 * no network. It does not emulate Glacier, SSE, conditional writes (`If-None-Match`) or storage
 * classes beyond recording them; the S3 store's tests say where they rely on that.
 */
export async function startS3Emulator(): Promise<S3Emulator> {
  const directory = await mkdtemp(join(tmpdir(), 'strata-s3rver-'));
  // s3rver is CommonJS without types; load it through require so ESM interop stays simple.
  const S3rver = createRequire(import.meta.url)('s3rver') as S3rverClass;
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    // Path-style only: virtual-host buckets would need DNS for <bucket>.127.0.0.1.
    vhostBuckets: false,
    resetOnClose: true,
  });
  const address = await server.run();
  const endpoint = `http://127.0.0.1:${address.port}`;
  const region = 'us-east-1';
  return {
    endpoint,
    region,
    credentials: S3RVER_CREDENTIALS,
    createBucket: async (name) => {
      // A plain path-style PUT Bucket; s3rver does not check the signature of bucket creation.
      const response = await fetch(`${endpoint}/${name}`, { method: 'PUT' });
      if (!response.ok && response.status !== 409) {
        throw new Error(`s3rver: creating bucket failed with HTTP ${response.status}`);
      }
    },
    stop: async () => {
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

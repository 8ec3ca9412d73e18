import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { BlobServiceClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStrata } from '../src/compose.js';
import { loadConfig } from '../src/config/config.js';
import { findInstance } from '../src/index/current-instance.repository.js';
import {
  startAzureEmulator,
  uniqueContainerName,
  type AzureEmulator,
} from '../src/storage/testing/azure-emulator.js';
import {
  startS3Emulator,
  uniqueBucketName,
  type S3Emulator,
} from '../src/storage/testing/s3-emulator.js';
import { stow } from './helpers/multipart.js';
import { sampleBytes, samples, type Sample, samplesAvailable } from './helpers/samples.js';
import { freshDatabase, startTestServer, testDb, type TestServer } from './helpers/server.js';
import { get, splitMultipart } from './helpers/wado-multipart.js';

/**
 * End to end through each storage backend: the real server with STORAGE_BACKEND=s3 against
 * s3rver, =azure against azurite, and fs with ENCRYPTION_KEY (and S3 with encryption). Sample
 * files go in by STOW-RS and come back by WADO-RS byte-identical (preamble zeroed, as stored);
 * the object in the backend is the plaintext, or, when encrypted, not.
 */
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const zeroPreamble = (bytes: Buffer) => {
  const copy = Buffer.from(bytes);
  if (copy.subarray(128, 132).toString('latin1') === 'DICM') copy.fill(0, 0, 128);
  return copy;
};

/** A few storable samples of different sizes, the largest first (multipart / block paths). */
const chosen: Sample[] = samples
  .filter((s) => s.expect === 'store' && s.sop_instance && s.study_instance && s.series_instance)
  .map((s) => ({ s, size: sampleBytes(s.file).length }))
  .sort((a, b) => b.size - a.size)
  .filter((_, i, all) => i < 2 || i === Math.floor(all.length / 2) || i === all.length - 1)
  .map(({ s }) => s);

const ACCEPT = 'multipart/related; type="application/dicom"; transfer-syntax=*';

/** STOWs every chosen sample, then reads each back through WADO-RS Retrieve Instance. */
function describeRoundTrip(
  label: string,
  env: () => Promise<Record<string, string>>,
  raw: (server: TestServer, key: string) => Promise<Buffer>,
  expectTier: string,
  encrypted: boolean,
) {
  describe.skipIf(!samplesAvailable)(`${label} (${testDb})`, () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startTestServer(await env());
    });
    afterAll(async () => {
      await server?.close();
    });

    it('stores every sample by STOW and returns it byte-identical by WADO', async () => {
      const response = await stow(
        `${server.base}/studies`,
        chosen.map((s) => ({ body: sampleBytes(s.file) })),
      );
      expect(response.status).toBe(200);
      for (const s of chosen) {
        const url =
          `${server.base}/studies/${s.study_instance}/series/${s.series_instance}` +
          `/instances/${s.sop_instance}`;
        const wado = await get(url, { Accept: ACCEPT });
        expect(wado.status).toBe(200);
        const parts = splitMultipart(wado.body, wado.contentType);
        expect(parts).toHaveLength(1);
        const expected = zeroPreamble(sampleBytes(s.file));
        expect(parts[0]!.body.length).toBe(expected.length);
        expect(sha256(parts[0]!.body)).toBe(sha256(expected));
      }
    });

    it(`keeps the objects in the backend ${encrypted ? 'encrypted' : 'as stored'}, tier "${expectTier}"`, async () => {
      for (const s of chosen) {
        const row = await findInstance(server.database.db, s.sop_instance!);
        expect(row?.storageTier).toBe(expectTier);
        const stored = await raw(server, row!.blobKey);
        const plain = zeroPreamble(sampleBytes(s.file));
        if (encrypted) {
          expect(stored.subarray(0, 4).toString('latin1')).toBe('STRE');
          expect(stored.length).toBeGreaterThan(plain.length);
          expect(stored.indexOf(plain.subarray(132, 196))).toBe(-1);
        } else {
          expect(sha256(stored)).toBe(sha256(plain));
        }
      }
    });
  });
}

let s3: S3Emulator;
let azure: AzureEmulator;
beforeAll(async () => {
  [s3, azure] = await Promise.all([startS3Emulator(), startAzureEmulator()]);
});
afterAll(async () => {
  await Promise.all([s3?.stop(), azure?.stop()]);
});

async function s3Env(bucket: string): Promise<Record<string, string>> {
  await s3.createBucket(bucket);
  return {
    STORAGE_BACKEND: 's3',
    S3_BUCKET: bucket,
    S3_REGION: s3.region,
    S3_ENDPOINT: s3.endpoint,
    S3_FORCE_PATH_STYLE: 'true',
    S3_PREFIX: 'dicom',
    // Every STOW part takes the streaming Upload path (length unknown to the store).
    S3_MULTIPART_THRESHOLD_BYTES: '0',
    S3_MAX_ATTEMPTS: '2',
    AWS_ACCESS_KEY_ID: s3.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey,
  };
}

async function s3Object(bucket: string, key: string): Promise<Buffer> {
  const client = new S3Client({
    region: s3.region,
    endpoint: s3.endpoint,
    forcePathStyle: true,
    credentials: s3.credentials,
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: `dicom/${key}` }));
  const bytes = Buffer.from(await object.Body!.transformToByteArray());
  client.destroy();
  return bytes;
}

const buckets = { plain: uniqueBucketName('plain'), sealed: uniqueBucketName('sealed') };
const container = uniqueContainerName('dicom');

describeRoundTrip(
  'STORAGE_BACKEND=s3 against s3rver',
  () => s3Env(buckets.plain),
  (_server, key) => s3Object(buckets.plain, key),
  's3',
  false,
);

describeRoundTrip(
  'STORAGE_BACKEND=azure against azurite',
  () =>
    Promise.resolve({
      STORAGE_BACKEND: 'azure',
      AZURE_STORAGE_CONNECTION_STRING: azure.connectionString,
      AZURE_CONTAINER: container,
      AZURE_PREFIX: 'dicom',
      // 64 KiB blocks: the larger samples are staged as many blocks.
      AZURE_BLOCK_SIZE_BYTES: '65536',
      AZURE_MAX_RETRIES: '1',
    }),

  async (_server, key) => {
    const blob = BlobServiceClient.fromConnectionString(azure.connectionString)
      .getContainerClient(container)
      .getBlobClient(`dicom/${key}`);
    return blob.downloadToBuffer();
  },
  'azure',
  false,
);

describeRoundTrip(
  'fs with ENCRYPTION_KEY',
  () => Promise.resolve({ ENCRYPTION_KEY: randomBytes(32).toString('base64') }),
  (server, key) => readFile(join(server.dataDir, 'blobs', key)),
  'fs',
  true,
);

describeRoundTrip(
  'STORAGE_BACKEND=s3 with ENCRYPTION_KEY',
  async () => ({
    ...(await s3Env(buckets.sealed)),
    ENCRYPTION_KEY: randomBytes(32).toString('base64'),
  }),
  (_server, key) => s3Object(buckets.sealed, key),
  's3',
  true,
);

describe.skipIf(!samplesAvailable)(
  `ENCRYPTION_KEY_FILE rotation through a restart (${testDb})`,
  () => {
    it('objects sealed with the old key stay readable by WADO after a new key becomes active', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'strata-rotate-'));
      const database = await freshDatabase();
      const [first, second] = chosen.slice(-2);
      const k1 = randomBytes(32).toString('base64');
      const k2 = randomBytes(32).toString('base64');
      const keyFile = join(dir, 'keys');
      const env = {
        DATA_DIR: join(dir, 'data'),
        HOST: '127.0.0.1',
        PORT: '0',
        LOG_LEVEL: 'silent',
        SWEEP_INTERVAL_SECONDS: '0',
        ENCRYPTION_KEY_FILE: keyFile,
        ...(database.url ? { DATABASE_URL: database.url } : {}),
      };
      const url = (base: string, s: Sample) =>
        `${base}/dicom-web/studies/${s.study_instance}/series/${s.series_instance}` +
        `/instances/${s.sop_instance}`;
      const keyIdAtRest = async (s: Sample, db: TestServer['database']['db']) => {
        const row = (await findInstance(db, s.sop_instance!))!;
        const atRest = await readFile(join(dir, 'data', 'blobs', row.blobKey));
        // encrypted-format.ts: "STRE", version, key id length, key id.
        return atRest.subarray(6, 6 + atRest[5]!).toString('utf8');
      };
      try {
        await writeFile(keyFile, `# first key\nk1=${k1}\n`);
        let strata = await startStrata(loadConfig(env));
        try {
          const stored = await stow(`${strata.url}/dicom-web/studies`, [
            { body: sampleBytes(first!.file) },
          ]);
          expect(stored.status).toBe(200);
        } finally {
          await strata.close();
        }
        // Rotation: append the new key and make it active; the old one stays for reading.
        await writeFile(keyFile, `k1=${k1}\nk2=${k2}\nactive=k2\n`);
        strata = await startStrata(loadConfig(env));
        try {
          const stored = await stow(`${strata.url}/dicom-web/studies`, [
            { body: sampleBytes(second!.file) },
          ]);
          expect(stored.status).toBe(200);
          for (const s of [first!, second!]) {
            const wado = await get(url(strata.url, s), { Accept: ACCEPT });
            expect(wado.status).toBe(200);
            const [part] = splitMultipart(wado.body, wado.contentType);
            expect(sha256(part!.body)).toBe(sha256(zeroPreamble(sampleBytes(s.file))));
          }
          expect(await keyIdAtRest(first!, strata.database.db)).toBe('k1');
          expect(await keyIdAtRest(second!, strata.database.db)).toBe('k2');
        } finally {
          await strata.close();
        }
        // Dropping a key still in use: the objects sealed with it answer an error, not garbage.
        await writeFile(keyFile, `k2=${k2}\n`);
        strata = await startStrata(loadConfig(env));
        try {
          expect((await get(url(strata.url, first!), { Accept: ACCEPT })).status).toBe(500);
          expect((await get(url(strata.url, second!), { Accept: ACCEPT })).status).toBe(200);
        } finally {
          await strata.close();
        }
      } finally {
        await database.drop();
        await rm(dir, { recursive: true, force: true });
      }
    });
  },
);

/** Runs the CLI in a child process without blocking this one; resolves on exit. */
function runStrata(
  args: string[],
  env: Record<string, string>,
): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', ...args], {
      cwd: fileURLToPath(new URL('../', import.meta.url)),
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 50_000);
    child.once('error', reject);
    child.once('exit', (status) => {
      clearTimeout(timer);
      resolve({ status, stderr });
    });
  });
}

/**
 * Settings that parse but cannot work (a bucket that does not exist, a refused key, a missing
 * container) stop start-up: each remote tier is probed before the server listens, and the
 * message names the variable or STRATA_CONFIG path to fix, never a secret.
 */
describe(`a backend that cannot work stops start-up (${testDb})`, () => {
  /** loadConfig + startStrata as `strata serve` does; the start-up error's message. */
  async function startError(env: Record<string, string>): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'strata-bad-backend-'));
    const database = await freshDatabase();
    try {
      const config = loadConfig({
        DATA_DIR: dir,
        HOST: '127.0.0.1',
        PORT: '0',
        LOG_LEVEL: 'silent',
        SWEEP_INTERVAL_SECONDS: '0',
        ...(database.url ? { DATABASE_URL: database.url } : {}),
        ...env,
      });
      const started = await startStrata(config).then(
        async (strata) => {
          await strata.close();
          return undefined;
        },
        (error: unknown) => error,
      );
      expect(started, 'start-up should have failed').toBeInstanceOf(Error);
      return (started as Error).message;
    } finally {
      await database.drop();
      await rm(dir, { recursive: true, force: true });
    }
  }

  it('`strata serve` with STORAGE_BACKEND=s3 and a bucket that does not exist exits naming S3_BUCKET', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'strata-bad-bucket-'));
    try {
      // Asynchronous: s3rver runs in this process and must answer the child's probe.
      const run = await runStrata(['serve'], {
        ...(await s3Env(uniqueBucketName('made'))),
        S3_BUCKET: uniqueBucketName('never-made'),
        DATA_DIR: dir,
        PORT: '0',
        LOG_LEVEL: 'silent',
      });
      // Exit 2 and "configuration error", as for a bad variable: the operator's to fix. A
      // server writes JSON lines only, this one too.
      expect(run.status).toBe(2);
      const line = JSON.parse(run.stderr.trim()) as Record<string, unknown>;
      expect(line).toMatchObject({ msg: 'configuration error', variable: 'S3_BUCKET' });
      expect(line['detail']).toContain('S3_BUCKET: tier "s3" (s3): the bucket does not exist');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('an unknown S3 access key names AWS_ACCESS_KEY_ID and never echoes the secret', async () => {
    const message = await startError({
      ...(await s3Env(uniqueBucketName('keyed'))),
      AWS_ACCESS_KEY_ID: 'NOBODY',
      AWS_SECRET_ACCESS_KEY: 'secret-never-shown',
    });
    expect(message).toMatch(
      /^AWS_ACCESS_KEY_ID: tier "s3" \(s3\): access to the bucket was refused/,
    );
    expect(message).not.toContain('secret-never-shown');
  });

  it('a wrong Azure account key names AZURE_STORAGE_CONNECTION_STRING', async () => {
    const wrongKey = Buffer.alloc(64, 9).toString('base64');
    const message = await startError({
      STORAGE_BACKEND: 'azure',
      AZURE_STORAGE_CONNECTION_STRING: azure.connectionString.replace(azure.accountKey, wrongKey),
      AZURE_CONTAINER: uniqueContainerName('refused'),
      AZURE_MAX_RETRIES: '0',
    });
    expect(message).toMatch(
      /^AZURE_STORAGE_CONNECTION_STRING: tier "azure" \(azure\): the account refused/,
    );
    expect(message).not.toContain(wrongKey);
  });

  it.skipIf(!samplesAvailable)(
    'switching STORAGE_BACKEND under an index with instances in the old tier names STORAGE_BACKEND',
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'strata-switch-'));
      const database = await freshDatabase();
      try {
        const env = {
          DATA_DIR: dir,
          HOST: '127.0.0.1',
          PORT: '0',
          LOG_LEVEL: 'silent',
          SWEEP_INTERVAL_SECONDS: '0',
          ...(database.url ? { DATABASE_URL: database.url } : {}),
        };
        const fs = await startStrata(loadConfig(env));
        try {
          const stored = await stow(`${fs.url}/dicom-web/studies`, [
            { body: sampleBytes(chosen.at(-1)!.file) },
          ]);
          expect(stored.status).toBe(200);
        } finally {
          await fs.close();
        }
        const error = await startStrata(
          loadConfig({ ...env, ...(await s3Env(uniqueBucketName('switch'))) }),
        ).then(
          async (strata) => {
            await strata.close();
            return undefined;
          },
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(Error);
        expect((error as Error).message).toMatch(
          /^STORAGE_BACKEND: the index has instances in tier\(s\) "fs", which are not configured \(configured: s3\)/,
        );
      } finally {
        await database.drop();
        await rm(dir, { recursive: true, force: true });
      }
    },
  );

  it('a STRATA_CONFIG tier with a missing bucket names its JSON path', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'strata-bad-tier-'));
    try {
      const path = join(dir, 'strata.json');
      await writeFile(
        path,
        JSON.stringify({
          tiers: [
            { name: 'hot', backend: { kind: 'fs', root: 'hot' } },
            {
              name: 'warm',
              backend: {
                kind: 's3',
                bucket: uniqueBucketName('never-made'),
                region: s3.region,
                endpoint: s3.endpoint,
                forcePathStyle: true,
                credentials: s3.credentials,
                maxAttempts: 1,
              },
            },
          ],
        }),
      );
      const message = await startError({ STRATA_CONFIG: path });
      expect(message).toBe(
        `STRATA_CONFIG: ${path}: $.tiers[1].backend.bucket: tier "warm" (s3): the bucket does not exist`,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

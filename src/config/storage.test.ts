import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from './errors.js';
import { parseKeyFile } from './encryption.js';
import { parseBackendJson, settingName, storageConfigFromEnv } from './storage.js';

const key32 = () => randomBytes(32).toString('base64');
const fromEnv = (env: Record<string, string>) => storageConfigFromEnv(env, '/data');

/** The ConfigError thrown by `run`, with its variable and message. */
function configError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

const S3_ENV = { STORAGE_BACKEND: 's3', S3_BUCKET: 'dicom-bucket', S3_REGION: 'eu-west-1' };
const AZ_ENV = {
  STORAGE_BACKEND: 'azure',
  AZURE_CONTAINER: 'dicom',
  AZURE_STORAGE_CONNECTION_STRING: 'UseDevelopmentStorage=true',
};

describe('storageConfigFromEnv', () => {
  it('defaults to one fs tier under DATA_DIR/blobs, no encryption', () => {
    expect(fromEnv({})).toEqual({
      tiers: [{ name: 'fs', backend: { kind: 'fs', root: '/data/blobs' } }],
      encryption: undefined,
    });
  });

  it('reads every S3 variable into an s3 tier named "s3"', () => {
    const config = fromEnv({
      ...S3_ENV,
      S3_ENDPOINT: 'http://minio:9000',
      S3_FORCE_PATH_STYLE: 'true',
      S3_PREFIX: '/strata/prod/',
      S3_STORAGE_CLASS: 'STANDARD_IA',
      S3_SSE: 'aws:kms',
      S3_SSE_KMS_KEY_ID: 'alias/dicom',
      S3_PART_SIZE_BYTES: String(16 * 1024 * 1024),
      S3_MULTIPART_THRESHOLD_BYTES: '0',
      S3_MAX_SOCKETS: '8',
      S3_REQUEST_TIMEOUT_MS: '5000',
      S3_MAX_ATTEMPTS: '3',
      AWS_ACCESS_KEY_ID: 'AKIA',
      AWS_SECRET_ACCESS_KEY: 'secret',
      AWS_SESSION_TOKEN: 'token',
    });
    expect(config.tiers).toEqual([
      {
        name: 's3',
        backend: {
          kind: 's3',
          bucket: 'dicom-bucket',
          region: 'eu-west-1',
          endpoint: 'http://minio:9000',
          forcePathStyle: true,
          prefix: 'strata/prod/',
          storageClass: 'STANDARD_IA',
          serverSideEncryption: 'aws:kms',
          sseKmsKeyId: 'alias/dicom',
          credentials: { accessKeyId: 'AKIA', secretAccessKey: 'secret', sessionToken: 'token' },
          partSizeBytes: 16 * 1024 * 1024,
          multipartThresholdBytes: 0,
          maxSockets: 8,
          requestTimeoutMs: 5000,
          maxAttempts: 3,
        },
      },
    ]);
  });

  it('leaves S3 credentials to the SDK chain when no AWS keys are set', () => {
    const backend = fromEnv(S3_ENV).tiers[0]!.backend;
    expect(backend).not.toHaveProperty('credentials');
    expect(backend).toMatchObject({ prefix: '', forcePathStyle: false, maxAttempts: 5 });
  });

  it.each([
    [{ S3_BUCKET: '' }, 'S3_BUCKET'],
    [{ S3_BUCKET: 'Bad_Bucket' }, 'S3_BUCKET'],
    [{ S3_REGION: '' }, 'S3_REGION'],
    [{ S3_ENDPOINT: 'ftp://x' }, 'S3_ENDPOINT'],
    [{ S3_PART_SIZE_BYTES: '1024' }, 'S3_PART_SIZE_BYTES'],
    [{ S3_MAX_ATTEMPTS: 'many' }, 'S3_MAX_ATTEMPTS'],
    [{ S3_FORCE_PATH_STYLE: 'maybe' }, 'S3_FORCE_PATH_STYLE'],
    [{ S3_STORAGE_CLASS: 'COLD' }, 'S3_STORAGE_CLASS'],
    [{ S3_SSE_KMS_KEY_ID: 'k' }, 'S3_SSE_KMS_KEY_ID'],
    [{ S3_PREFIX: '../up' }, 'S3_PREFIX'],
    [{ AWS_ACCESS_KEY_ID: 'AKIA' }, 'AWS_SECRET_ACCESS_KEY'],
    [{ STORAGE_BACKEND: 'gcs' }, 'STORAGE_BACKEND'],
  ])('refuses %j naming %s', (patch, variable) => {
    expect(configError(() => fromEnv({ ...S3_ENV, ...patch })).variable).toBe(variable);
  });

  it('never echoes a secret or URL in an error', () => {
    const error = configError(() =>
      fromEnv({ ...S3_ENV, S3_ENDPOINT: 'not a url with hunter2', AWS_SECRET_ACCESS_KEY: 'x' }),
    );
    expect(error.message).not.toContain('hunter2');
  });

  it('reads Azure with a connection string, account + key, or URL + SAS', () => {
    expect(fromEnv({ ...AZ_ENV, AZURE_ACCESS_TIER: 'Cool' }).tiers[0]).toEqual({
      name: 'azure',
      backend: {
        kind: 'azure',
        container: 'dicom',
        connectionString: 'UseDevelopmentStorage=true',
        prefix: '',
        accessTier: 'Cool',
        blockSizeBytes: 8 * 1024 * 1024,
        concurrency: 4,
        maxRetries: 4,
      },
    });
    const byKey = fromEnv({
      STORAGE_BACKEND: 'azure',
      AZURE_CONTAINER: 'dicom',
      AZURE_STORAGE_ACCOUNT: 'acct',
      AZURE_STORAGE_KEY: 'a2V5',
    });
    expect(byKey.tiers[0]!.backend).toMatchObject({ accountName: 'acct', accountKey: 'a2V5' });
    const bySas = fromEnv({
      STORAGE_BACKEND: 'azure',
      AZURE_CONTAINER: 'dicom',
      AZURE_STORAGE_ACCOUNT_URL: 'https://acct.blob.core.windows.net',
      AZURE_STORAGE_SAS_TOKEN: '?sv=2024&sig=abc',
    });
    expect(bySas.tiers[0]!.backend).toMatchObject({ sasToken: 'sv=2024&sig=abc' });
  });

  it.each([
    [{ AZURE_STORAGE_CONNECTION_STRING: '' }, 'AZURE_STORAGE_CONNECTION_STRING'],
    [{ AZURE_CONTAINER: 'No' }, 'AZURE_CONTAINER'],
    [{ AZURE_ACCESS_TIER: 'hot' }, 'AZURE_ACCESS_TIER'],
    [{ AZURE_BLOCK_SIZE_BYTES: '10' }, 'AZURE_BLOCK_SIZE_BYTES'],
    [{ AZURE_UPLOAD_CONCURRENCY: '0' }, 'AZURE_UPLOAD_CONCURRENCY'],
    [{ AZURE_STORAGE_KEY: 'not base64!' }, 'AZURE_STORAGE_KEY'],
  ])('refuses Azure %j naming %s', (patch, variable) => {
    expect(configError(() => fromEnv({ ...AZ_ENV, ...patch })).variable).toBe(variable);
  });
});

describe('encryption keys', () => {
  it('takes ENCRYPTION_KEY as the "default" key', () => {
    const key = key32();
    const { encryption } = fromEnv({ ENCRYPTION_KEY: key });
    expect(encryption?.activeKeyId).toBe('default');
    expect(encryption?.keys.get('default')).toEqual(Buffer.from(key, 'base64'));
  });

  it('refuses a key that is not 32 bytes of base64, without echoing it', () => {
    const short = randomBytes(16).toString('base64');
    const error = configError(() => fromEnv({ ENCRYPTION_KEY: short }));
    expect(error.variable).toBe('ENCRYPTION_KEY');
    expect(error.message).not.toContain(short);
    expect(configError(() => fromEnv({ ENCRYPTION_KEY: 'no!' })).variable).toBe('ENCRYPTION_KEY');
  });

  it('reads a key file: id=key lines, comments, the last key active unless active= says', () => {
    const [a, b] = [key32(), key32()];
    const dir = mkdtempSync(join(tmpdir(), 'strata-keys-'));
    writeFileSync(join(dir, 'keys'), `# rotated 2026-01\nk1=${a}\n\nk2=${b}\n`);
    const config = fromEnv({ ENCRYPTION_KEY_FILE: join(dir, 'keys') }).encryption!;
    expect(config.activeKeyId).toBe('k2');
    expect([...config.keys.keys()]).toEqual(['k1', 'k2']);
    expect(parseKeyFile(`k1=${a}\nk2=${b}\nactive=k1\n`).activeKeyId).toBe('k1');
    expect(parseKeyFile(`${a}\n`).activeKeyId).toBe('default');
  });

  it('refuses bad key files naming the line, never the key', () => {
    const bad = randomBytes(20).toString('base64');
    for (const text of [`k1=${bad}`, `k1=${key32()}\nk1=${key32()}`, '', `bad id=${key32()}`]) {
      const error = configError(() => parseKeyFile(text));
      expect(error.variable).toBe('ENCRYPTION_KEY_FILE');
      expect(error.message).not.toContain(bad);
    }
    expect(configError(() => parseKeyFile(`k1=${key32()}\nactive=k9`)).message).toContain('k9');
    expect(configError(() => fromEnv({ ENCRYPTION_KEY_FILE: '/nonexistent/keys' })).variable).toBe(
      'ENCRYPTION_KEY_FILE',
    );
    expect(
      configError(() => fromEnv({ ENCRYPTION_KEY: key32(), ENCRYPTION_KEY_FILE: '/x' })).variable,
    ).toBe('ENCRYPTION_KEY_FILE');
  });
});

describe('parseBackendJson', () => {
  const where = 'STRATA_CONFIG: $.tiers[1].backend';

  it('accepts each kind with BackendConfig field names and env defaults', () => {
    expect(parseBackendJson({ kind: 'fs', root: 'warm' }, where)).toEqual({
      kind: 'fs',
      root: 'warm',
    });
    expect(parseBackendJson({ kind: 'memory' }, where)).toEqual({ kind: 'memory' });
    expect(
      parseBackendJson(
        { kind: 's3', bucket: 'cold-bucket', region: 'us-east-1', storageClass: 'GLACIER' },
        where,
      ),
    ).toMatchObject({ kind: 's3', storageClass: 'GLACIER', partSizeBytes: 8 * 1024 * 1024 });
    expect(
      parseBackendJson(
        {
          kind: 'azure',
          container: 'archive',
          accountName: 'acct',
          accountKey: 'a2V5',
          accessTier: 'Archive',
          concurrency: 2,
        },
        where,
      ),
    ).toMatchObject({ kind: 'azure', accessTier: 'Archive', concurrency: 2 });
  });

  it.each([
    [null, ''],
    [{ kind: 'gcs' }, '.kind'],
    [{ kind: 'fs' }, '.root'],
    [{ kind: 'fs', root: 'x', bucket: 'y' }, '.bucket'],
    [{ kind: 's3', bucket: 'b-b', region: 'r', maxAttempts: '3' }, '.maxAttempts'],
    [
      { kind: 's3', bucket: 'b-b', region: 'r', credentials: { accessKeyId: 'a' } },
      '.credentials.secretAccessKey',
    ],
    [{ kind: 'azure', container: 'c-c' }, '.connectionString'],
  ])('refuses %j naming the JSON path', (value, suffix) => {
    expect(configError(() => parseBackendJson(value, where)).variable).toBe(`${where}${suffix}`);
  });
});

describe('settingName (what a failed start-up probe tells the operator to fix)', () => {
  it('names the environment variable of an environment tier', () => {
    const s3 = fromEnv(S3_ENV).tiers[0]!;
    expect(settingName(s3, 'bucket')).toBe('S3_BUCKET');
    expect(settingName(s3, 'region')).toBe('S3_REGION');
    expect(settingName(s3, 'credentials')).toBe('AWS_ACCESS_KEY_ID');
    // Without S3_ENDPOINT the AWS endpoint follows from the region.
    expect(settingName(s3, 'endpoint')).toBe('S3_REGION');
    const minio = fromEnv({ ...S3_ENV, S3_ENDPOINT: 'http://minio:9000' }).tiers[0]!;
    expect(settingName(minio, 'endpoint')).toBe('S3_ENDPOINT');

    const azure = fromEnv(AZ_ENV).tiers[0]!;
    expect(settingName(azure, 'container')).toBe('AZURE_CONTAINER');
    expect(settingName(azure, 'credentials')).toBe('AZURE_STORAGE_CONNECTION_STRING');
    expect(settingName(azure, 'connection')).toBe('AZURE_STORAGE_CONNECTION_STRING');
    const sas = fromEnv({
      STORAGE_BACKEND: 'azure',
      AZURE_CONTAINER: 'dicom',
      AZURE_STORAGE_ACCOUNT_URL: 'https://acct.blob.core.windows.net',
      AZURE_STORAGE_SAS_TOKEN: '?sv=2024&sig=x',
    }).tiers[0]!;
    expect(settingName(sas, 'credentials')).toBe('AZURE_STORAGE_SAS_TOKEN');
    expect(settingName(sas, 'connection')).toBe('AZURE_STORAGE_ACCOUNT_URL');
  });

  it('names the JSON path of a STRATA_CONFIG tier', () => {
    const source = 'STRATA_CONFIG: strata.json: $.tiers[2].backend';
    const backend = parseBackendJson(
      { kind: 's3', bucket: 'archive', region: 'eu-west-1' },
      source,
    );
    expect(settingName({ name: 'cold', backend, source }, 'bucket')).toBe(`${source}.bucket`);
    expect(settingName({ name: 'cold', backend, source }, 'credentials')).toBe(
      `${source}.credentials`,
    );
  });
});

import { AZURE_ACCESS_TIERS, AZURE_BLOCK_BYTES, AZURE_DEFAULTS } from '../storage/azure-options.js';
import { S3_DEFAULTS, S3_PART_BYTES, S3_STORAGE_CLASSES } from '../storage/s3-options.js';
import { boolean, integer, oneOf, string, url } from './setting.js';

/**
 * Storage settings. S3 and Azure ones are set by environment variable for the single backend,
 * or by field name in a STRATA_CONFIG tier's `backend` object; the keys here are the stores'
 * option names, and the defaults are the ones the stores apply (storage/*-options.ts).
 */
export const STORAGE_BACKEND = oneOf({
  env: 'STORAGE_BACKEND',
  values: ['fs', 's3', 'azure'] as const,
  default: 'fs',
  help: 'single-backend storage: `fs` (files under `DATA_DIR/blobs`), `s3`, `azure`. The tier is named after the backend (`fs`, `s3`, `azure`) and that name is recorded per instance. With `STRATA_CONFIG` its tiers are used instead (the `STORAGE_BACKEND`/`S3_*`/`AZURE_*` variables are still checked, so leave them unset)',
});

/** '' or safe key segments; normalised to end in '/' so `prefix + key` never merges segments. */
const keyPrefix = (env: string, help: string) =>
  string({
    env,
    json: 'prefix',
    values: 'segments of a-z 0-9 . _ - separated by /',
    default: '',
    shown: '—',
    map: (value) => {
      const trimmed = value.replace(/^\/+|\/+$/g, '');
      return trimmed === '' ? '' : `${trimmed}/`;
    },
    check: (value) => {
      const trimmed = value.replace(/^\/+|\/+$/g, '');
      const ok =
        trimmed === '' ||
        (/^[a-z0-9._-]+(\/[a-z0-9._-]+)*$/.test(trimmed) && !/(^|\/)\.{1,2}(\/|$)/.test(trimmed));
      return ok ? undefined : 'must be segments of a-z 0-9 . _ - separated by /';
    },
    help,
  });

export const S3 = {
  // Bucket naming rules: https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
  bucket: string({
    env: 'S3_BUCKET',
    values: 'bucket name',
    json: 'bucket',
    required: true,
    check: (value) =>
      /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(value)
        ? undefined
        : 'not a valid bucket name (3–63 of a-z 0-9 . -)',
    help: 'bucket (required with `STORAGE_BACKEND=s3`)',
  }),
  region: string({
    env: 'S3_REGION',
    json: 'region',
    required: true,
    help: 'region, e.g. `eu-west-1` (required; any value such as `us-east-1` for MinIO)',
  }),
  endpoint: url({
    env: 'S3_ENDPOINT',
    json: 'endpoint',
    protocols: ['http:', 'https:'],
    help: 'custom endpoint for S3-compatible stores (MinIO, Ceph, s3rver), e.g. `http://minio:9000`; unset → AWS',
  }),
  forcePathStyle: boolean({
    env: 'S3_FORCE_PATH_STYLE',
    json: 'forcePathStyle',
    default: false,
    help: 'path-style URLs (`endpoint/bucket/key`); MinIO usually needs `true`',
  }),
  prefix: keyPrefix('S3_PREFIX', 'key prefix inside the bucket, e.g. `strata/prod`'),
  storageClass: oneOf({
    env: 'S3_STORAGE_CLASS',
    json: 'storageClass',
    values: S3_STORAGE_CLASSES,
    shown: 'bucket default',
    help: 'storage class of new objects',
  }),
  serverSideEncryption: oneOf({
    env: 'S3_SSE',
    json: 'serverSideEncryption',
    values: ['AES256', 'aws:kms'] as const,
    help: 'server-side encryption',
  }),
  sseKmsKeyId: string({
    env: 'S3_SSE_KMS_KEY_ID',
    json: 'sseKmsKeyId',
    help: 'KMS key id/ARN/alias (only with `S3_SSE=aws:kms`)',
  }),
  partSizeBytes: integer({
    env: 'S3_PART_SIZE_BYTES',
    json: 'partSizeBytes',
    default: S3_DEFAULTS.partSizeBytes,
    min: S3_PART_BYTES.min,
    max: S3_PART_BYTES.max,
    bytes: true,
    help: `multipart part size; ${S3_DEFAULTS.queueSize} parts are uploaded at once`,
  }),
  multipartThresholdBytes: integer({
    env: 'S3_MULTIPART_THRESHOLD_BYTES',
    json: 'multipartThresholdBytes',
    default: S3_DEFAULTS.multipartThresholdBytes,
    min: 0,
    max: S3_PART_BYTES.max,
    bytes: true,
    help: 'bodies of known length up to this size go in one PutObject; larger ones (and STOW parts, whose length is not known in advance) use multipart upload. A failed multipart upload is aborted',
  }),
  maxSockets: integer({
    env: 'S3_MAX_SOCKETS',
    json: 'maxSockets',
    default: S3_DEFAULTS.maxSockets,
    min: 1,
    max: 10_000,
    help: 'HTTP connections per tier (keep-alive pool)',
  }),
  requestTimeoutMs: integer({
    env: 'S3_REQUEST_TIMEOUT_MS',
    json: 'requestTimeoutMs',
    default: S3_DEFAULTS.requestTimeoutMs,
    min: 100,
    help: "longest wait for one request's response headers, its upload included (a request left unanswered is abandoned and retried); downloads then stream without a limit, so slow clients are not cut off. Connection timeout: the smaller of this and 10 s",
  }),
  maxAttempts: integer({
    env: 'S3_MAX_ATTEMPTS',
    json: 'maxAttempts',
    default: S3_DEFAULTS.maxAttempts,
    min: 1,
    max: 20,
    help: 'tries per request; throttling (503 SlowDown) and transient errors (5xx, resets, timeouts) are retried with exponential backoff and jitter',
  }),
};

/**
 * The AWS SDK's own variable names. In a STRATA_CONFIG backend they are one `credentials`
 * object (`{ "accessKeyId", "secretAccessKey", "sessionToken"? }`), read in storage.ts.
 */
export const AWS_CREDENTIALS = {
  accessKeyId: string({
    env: 'AWS_ACCESS_KEY_ID',
    help: "explicit S3 credentials, with `AWS_SECRET_ACCESS_KEY` (both or neither). Unset → the AWS SDK's default credential chain (`AWS_PROFILE`, web identity, ECS/EC2 instance roles, …)",
  }),
  secretAccessKey: string({
    env: 'AWS_SECRET_ACCESS_KEY',
    help: 'the secret of `AWS_ACCESS_KEY_ID`',
  }),
  sessionToken: string({
    env: 'AWS_SESSION_TOKEN',
    help: 'session token of temporary credentials (optional, with the two above)',
  }),
};

export const AZURE = {
  // Container naming rules: 3–63 chars, lowercase letters, digits, single dashes.
  container: string({
    env: 'AZURE_CONTAINER',
    values: 'container name',
    json: 'container',
    required: true,
    check: (value) =>
      /^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/.test(value)
        ? undefined
        : 'not a valid container name (3–63 of a-z 0-9 -, no double dash)',
    help: 'container (required with `STORAGE_BACKEND=azure`); created at start-up when missing and the credentials allow it',
  }),
  connectionString: string({
    env: 'AZURE_STORAGE_CONNECTION_STRING',
    json: 'connectionString',
    help: "connection string (Azure portal, or Azurite's); one of the three ways to authenticate",
  }),
  accountName: string({
    env: 'AZURE_STORAGE_ACCOUNT',
    json: 'accountName',
    help: 'account name, with `AZURE_STORAGE_KEY` (the second way); endpoint `https://<account>.blob.core.windows.net` unless `AZURE_STORAGE_ACCOUNT_URL` is set',
  }),
  accountKey: string({
    env: 'AZURE_STORAGE_KEY',
    values: 'base64',
    json: 'accountKey',
    check: (value) => (/^[A-Za-z0-9+/]+={0,2}$/.test(value) ? undefined : 'not base64'),
    help: 'shared key of `AZURE_STORAGE_ACCOUNT`',
  }),
  accountUrl: url({
    env: 'AZURE_STORAGE_ACCOUNT_URL',
    json: 'accountUrl',
    protocols: ['http:', 'https:'],
    help: 'account URL, with `AZURE_STORAGE_SAS_TOKEN` (the third way)',
  }),
  sasToken: string({
    env: 'AZURE_STORAGE_SAS_TOKEN',
    json: 'sasToken',
    map: (value) => value.replace(/^\?/, ''),
    help: 'SAS token of `AZURE_STORAGE_ACCOUNT_URL`. A SAS scoped to one container works if the container exists and the SAS allows read, create, write, delete and list (e.g. `racwdl`)',
  }),
  prefix: keyPrefix('AZURE_PREFIX', 'blob name prefix inside the container'),
  accessTier: oneOf({
    env: 'AZURE_ACCESS_TIER',
    json: 'accessTier',
    values: AZURE_ACCESS_TIERS,
    shown: 'account default',
    help: 'access tier set on every new blob',
  }),
  blockSizeBytes: integer({
    env: 'AZURE_BLOCK_SIZE_BYTES',
    json: 'blockSizeBytes',
    default: AZURE_DEFAULTS.blockSizeBytes,
    min: AZURE_BLOCK_BYTES.min,
    max: AZURE_BLOCK_BYTES.max,
    bytes: true,
    help: 'block size of block uploads',
  }),
  concurrency: integer({
    env: 'AZURE_UPLOAD_CONCURRENCY',
    json: 'concurrency',
    default: AZURE_DEFAULTS.concurrency,
    min: 1,
    max: 64,
    help: 'blocks uploaded at once (memory ≈ block size × concurrency per upload)',
  }),
  maxRetries: integer({
    env: 'AZURE_MAX_RETRIES',
    json: 'maxRetries',
    default: AZURE_DEFAULTS.maxRetries,
    min: 0,
    max: 20,
    help: 'retries per request, exponential backoff (0.5 s doubling, at most 30 s) on throttling (503 ServerBusy) and transient failures',
  }),
};

export const ENCRYPTION = {
  key: string({
    env: 'ENCRYPTION_KEY',
    values: 'base64, 32 bytes',
    help: 'encryption at rest: base64 of 32 random bytes (`openssl rand -base64 32`), key id `default`. Applies to every tier. Never logged',
  }),
  keyFile: string({
    env: 'ENCRYPTION_KEY_FILE',
    values: 'file path',
    help: 'instead of `ENCRYPTION_KEY`: a file of `keyid=base64key` lines (`#` comments allowed) and optionally `active=keyid`; without it the last key encrypts. Every key listed can decrypt (rotation)',
  }),
};

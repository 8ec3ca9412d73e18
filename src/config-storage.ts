import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from './config.js';

/**
 * Storage configuration: which backend each tier uses, and encryption at rest. Read from the
 * environment for the single-backend case (STORAGE_BACKEND, S3_*, AZURE_*, ENCRYPTION_KEY*);
 * a STRATA_CONFIG file (config-file.ts) may instead list several tiers, each backend validated by
 * `parseBackendJson`. Plain data only: compose-storage.ts turns it into BlobStores. Errors name
 * the variable (or JSON path) and never echo a secret.
 */
export type BackendConfig =
  FsBackendConfig | MemoryBackendConfig | S3BackendConfig | AzureBackendConfig;

export interface FsBackendConfig {
  kind: 'fs';
  root: string;
}

export interface MemoryBackendConfig {
  kind: 'memory';
}

export const S3_STORAGE_CLASSES = [
  'STANDARD',
  'REDUCED_REDUNDANCY',
  'STANDARD_IA',
  'ONEZONE_IA',
  'INTELLIGENT_TIERING',
  'GLACIER',
  'DEEP_ARCHIVE',
  'GLACIER_IR',
  'EXPRESS_ONEZONE',
] as const;

export interface S3BackendConfig {
  kind: 's3';
  bucket: string;
  region: string;
  /** Custom endpoint (MinIO, emulators); unset → AWS. */
  endpoint?: string;
  forcePathStyle: boolean;
  /** Key prefix inside the bucket ('' = none), ending in '/'. */
  prefix: string;
  /** Explicit keys; unset → the SDK's default credential chain. */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  serverSideEncryption?: 'AES256' | 'aws:kms';
  sseKmsKeyId?: string;
  /** e.g. STANDARD, STANDARD_IA, GLACIER_IR, GLACIER, DEEP_ARCHIVE. */
  storageClass?: string;
  partSizeBytes: number;
  multipartThresholdBytes: number;
  maxSockets: number;
  requestTimeoutMs: number;
  maxAttempts: number;
}

export const AZURE_ACCESS_TIERS = ['Hot', 'Cool', 'Cold', 'Archive'] as const;

export interface AzureBackendConfig {
  kind: 'azure';
  container: string;
  /** One of: connection string; account name + key; account URL with SAS. */
  connectionString?: string;
  accountName?: string;
  accountKey?: string;
  /** https://account.blob.core.windows.net (or emulator URL); with `sasToken` or account key. */
  accountUrl?: string;
  sasToken?: string;
  prefix: string;
  /** Access tier set on upload: Hot, Cool, Cold, Archive. Unset → the account default. */
  accessTier?: 'Hot' | 'Cool' | 'Cold' | 'Archive';
  blockSizeBytes: number;
  concurrency: number;
  maxRetries: number;
}

export interface TierConfig {
  /** The name recorded in `instances.storage_tier`. */
  name: string;
  backend: BackendConfig;
  /**
   * Where a STRATA_CONFIG tier's backend was written (`STRATA_CONFIG: strata.json:
   * $.tiers[1].backend`), for errors found after parsing; unset → the environment.
   */
  source?: string;
}

export interface EncryptionConfig {
  /** Key id used for new objects. */
  activeKeyId: string;
  /** Every key still needed to read old objects, by id; 32 bytes each. */
  keys: ReadonlyMap<string, Buffer>;
}

export interface StorageConfig {
  /** Ordered: new instances land in the first. At least one. */
  tiers: TierConfig[];
  encryption: EncryptionConfig | undefined;
}

type Env = Record<string, string | undefined>;

const MiB = 1024 * 1024;

/** S3 multipart limits: parts of 5 MiB–5 GiB (the last may be smaller), at most 10,000 parts. */
const S3_MIN_PART = 5 * MiB;
const S3_MAX_PART = 5 * 1024 * MiB;
/** Azure Put Block: at most 4000 MiB per block (REST version 2019-12-12 and later). */
const AZURE_MAX_BLOCK = 4000 * MiB;

export const S3_DEFAULTS = {
  partSizeBytes: 8 * MiB,
  multipartThresholdBytes: 16 * MiB,
  maxSockets: 50,
  requestTimeoutMs: 120_000,
  maxAttempts: 5,
};

export const AZURE_DEFAULTS = {
  blockSizeBytes: 8 * MiB,
  concurrency: 4,
  maxRetries: 4,
};

/** The single-backend storage configuration from the environment. */
export function storageConfigFromEnv(env: Env, dataDir: string): StorageConfig {
  const fields = envFields(env);
  const kind = fields.oneOf('STORAGE_BACKEND', ['fs', 's3', 'azure'] as const) ?? 'fs';
  let backend: BackendConfig;
  switch (kind) {
    case 'fs':
      backend = { kind: 'fs', root: join(dataDir, 'blobs') };
      break;
    case 's3':
      backend = s3Backend(fields, ENV_S3_NAMES, s3CredentialsFromEnv(env));
      break;
    case 'azure':
      backend = azureBackend(fields, ENV_AZURE_NAMES);
      break;
  }
  return { tiers: [{ name: kind, backend }], encryption: encryptionFromEnv(env) };
}

/**
 * Validates one backend object of the STRATA_CONFIG file; the field names are those of
 * `BackendConfig` (`{ "kind": "s3", "bucket": "…", "region": "…", "storageClass": "GLACIER" }`),
 * numeric tuning fields default as with the environment. `where` is the JSON path used in
 * errors (`STRATA_CONFIG: $.tiers[2].backend`). A relative fs `root` is returned as written:
 * the caller resolves it against the file's folder. S3 credentials may be omitted (→ the SDK's
 * default chain, including AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY).
 */
export function parseBackendJson(value: unknown, where: string): BackendConfig {
  const fail = (field: string, problem: string): never => {
    throw new ConfigError(field === '' ? where : `${where}.${field}`, problem);
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return fail('', 'expected an object');
  }
  const object = value as Record<string, unknown>;
  const fields = jsonFields(object, fail);
  const kind = fields.oneOf('kind', ['fs', 'memory', 's3', 'azure'] as const);
  const allowed: Record<string, readonly string[]> = {
    fs: ['kind', 'root'],
    memory: ['kind'],
    s3: ['kind', 'credentials', ...Object.values(JSON_S3_NAMES)],
    azure: ['kind', ...Object.values(JSON_AZURE_NAMES)],
  };
  if (kind === undefined) return fail('kind', 'required (fs, memory, s3, azure)');
  for (const key of Object.keys(object)) {
    if (!allowed[kind]!.includes(key)) {
      fail(key, `unknown field for a ${kind} backend (expected ${allowed[kind]!.join(', ')})`);
    }
  }
  switch (kind) {
    case 'fs':
      return { kind: 'fs', root: fields.required('root') };
    case 'memory':
      return { kind: 'memory' };
    case 's3':
      return s3Backend(fields, JSON_S3_NAMES, s3CredentialsFromJson(object['credentials'], fail));
    case 'azure':
      return azureBackend(fields, JSON_AZURE_NAMES);
  }
}

// ---------------------------------------------------------------------------------------------
// Field readers: one interface over environment strings and JSON values, so both sources share
// the same validation and defaults.

interface Fields {
  string(name: string): string | undefined;
  required(name: string): string;
  integer(name: string, fallback: number, min: number, max?: number): number;
  boolean(name: string, fallback: boolean): boolean;
  oneOf<T extends string>(name: string, allowed: readonly T[]): T | undefined;
  fail(name: string, problem: string): never;
}

function envFields(env: Env): Fields {
  const raw = (name: string) => {
    const value = env[name]?.trim();
    return value === '' ? undefined : value;
  };
  const fail = (name: string, problem: string): never => {
    throw new ConfigError(name, problem);
  };
  return readers(
    raw,
    fail,
    (name, value) => {
      const text = String(value);
      if (!/^\d+$/.test(text)) return fail(name, 'expected a whole number');
      return Number(text);
    },
    (name, value) => {
      const lower = String(value).toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(lower)) return true;
      if (['0', 'false', 'no', 'off'].includes(lower)) return false;
      return fail(name, 'expected true or false');
    },
  );
}

function jsonFields(
  object: Record<string, unknown>,
  fail: (name: string, problem: string) => never,
): Fields {
  return {
    ...readers(
      (name) => {
        const value = object[name];
        if (value === undefined || value === null) return undefined;
        if (typeof value === 'number' || typeof value === 'boolean') return value;
        if (typeof value !== 'string') return fail(name, 'expected a string');
        return value.trim() === '' ? undefined : value.trim();
      },
      fail,
      (name, value) => (typeof value === 'number' ? value : fail(name, 'expected a number')),
      (name, value) => (typeof value === 'boolean' ? value : fail(name, 'expected true or false')),
    ),
  };
}

function readers(
  raw: (name: string) => unknown,
  fail: (name: string, problem: string) => never,
  toNumber: (name: string, value: unknown) => number,
  toBoolean: (name: string, value: unknown) => boolean,
): Fields {
  const string = (name: string) => {
    const value = raw(name);
    if (value === undefined) return undefined;
    return typeof value === 'string' ? value : fail(name, 'expected a string');
  };
  return {
    fail,
    string,
    required: (name) => string(name) ?? fail(name, 'required'),
    integer: (name, fallback, min, max) => {
      const value = raw(name);
      if (value === undefined) return fallback;
      const n = toNumber(name, value);
      if (!Number.isSafeInteger(n)) return fail(name, 'expected a whole number');
      if (n < min) return fail(name, `must be at least ${min}`);
      if (max !== undefined && n > max) return fail(name, `must be at most ${max}`);
      return n;
    },
    boolean: (name, fallback) => {
      const value = raw(name);
      return value === undefined ? fallback : toBoolean(name, value);
    },
    oneOf: <T extends string>(name: string, allowed: readonly T[]) => {
      const value = string(name);
      if (value === undefined) return undefined;
      if (!(allowed as readonly string[]).includes(value)) {
        // Not a secret: the allowed values are a closed list, so echoing the value is safe.
        return fail(name, `expected one of ${allowed.join(', ')}, got "${value}"`);
      }
      return value as T;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// S3

type S3Field =
  | 'bucket'
  | 'region'
  | 'endpoint'
  | 'forcePathStyle'
  | 'prefix'
  | 'storageClass'
  | 'serverSideEncryption'
  | 'sseKmsKeyId'
  | 'partSizeBytes'
  | 'multipartThresholdBytes'
  | 'maxSockets'
  | 'requestTimeoutMs'
  | 'maxAttempts';

const ENV_S3_NAMES: Record<S3Field, string> = {
  bucket: 'S3_BUCKET',
  region: 'S3_REGION',
  endpoint: 'S3_ENDPOINT',
  forcePathStyle: 'S3_FORCE_PATH_STYLE',
  prefix: 'S3_PREFIX',
  storageClass: 'S3_STORAGE_CLASS',
  serverSideEncryption: 'S3_SSE',
  sseKmsKeyId: 'S3_SSE_KMS_KEY_ID',
  partSizeBytes: 'S3_PART_SIZE_BYTES',
  multipartThresholdBytes: 'S3_MULTIPART_THRESHOLD_BYTES',
  maxSockets: 'S3_MAX_SOCKETS',
  requestTimeoutMs: 'S3_REQUEST_TIMEOUT_MS',
  maxAttempts: 'S3_MAX_ATTEMPTS',
};
const JSON_S3_NAMES = Object.fromEntries(Object.keys(ENV_S3_NAMES).map((k) => [k, k])) as Record<
  S3Field,
  string
>;

function s3Backend(
  f: Fields,
  n: Record<S3Field, string>,
  credentials: S3BackendConfig['credentials'],
): S3BackendConfig {
  const bucket = f.required(n.bucket);
  // Bucket naming rules: https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
    f.fail(n.bucket, 'not a valid bucket name (3–63 of a-z 0-9 . -)');
  }
  const region = f.required(n.region);
  const endpoint = f.string(n.endpoint);
  if (endpoint !== undefined) checkUrl(f, n.endpoint, endpoint);
  const sse = f.oneOf(n.serverSideEncryption, ['AES256', 'aws:kms'] as const);
  const sseKmsKeyId = f.string(n.sseKmsKeyId);
  if (sseKmsKeyId !== undefined && sse !== 'aws:kms') {
    f.fail(n.sseKmsKeyId, `only meaningful with ${n.serverSideEncryption}=aws:kms`);
  }
  const storageClass = f.oneOf(n.storageClass, S3_STORAGE_CLASSES);
  return {
    kind: 's3',
    bucket,
    region,
    ...(endpoint !== undefined ? { endpoint } : {}),
    forcePathStyle: f.boolean(n.forcePathStyle, false),
    prefix: keyPrefix(f, n.prefix),
    ...(credentials ? { credentials } : {}),
    ...(sse !== undefined ? { serverSideEncryption: sse } : {}),
    ...(sseKmsKeyId !== undefined ? { sseKmsKeyId } : {}),
    ...(storageClass !== undefined ? { storageClass } : {}),
    partSizeBytes: f.integer(n.partSizeBytes, S3_DEFAULTS.partSizeBytes, S3_MIN_PART, S3_MAX_PART),
    multipartThresholdBytes: f.integer(
      n.multipartThresholdBytes,
      S3_DEFAULTS.multipartThresholdBytes,
      0,
      S3_MAX_PART,
    ),
    maxSockets: f.integer(n.maxSockets, S3_DEFAULTS.maxSockets, 1, 10_000),
    requestTimeoutMs: f.integer(n.requestTimeoutMs, S3_DEFAULTS.requestTimeoutMs, 100),
    maxAttempts: f.integer(n.maxAttempts, S3_DEFAULTS.maxAttempts, 1, 20),
  };
}

/** Both of the standard variables or neither (then the SDK's default credential chain). */
function s3CredentialsFromEnv(env: Env): S3BackendConfig['credentials'] {
  const accessKeyId = env['AWS_ACCESS_KEY_ID']?.trim() || undefined;
  const secretAccessKey = env['AWS_SECRET_ACCESS_KEY']?.trim() || undefined;
  const sessionToken = env['AWS_SESSION_TOKEN']?.trim() || undefined;
  if (accessKeyId === undefined && secretAccessKey === undefined) return undefined;
  if (accessKeyId === undefined) {
    throw new ConfigError('AWS_ACCESS_KEY_ID', 'required when AWS_SECRET_ACCESS_KEY is set');
  }
  if (secretAccessKey === undefined) {
    throw new ConfigError('AWS_SECRET_ACCESS_KEY', 'required when AWS_ACCESS_KEY_ID is set');
  }
  return { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) };
}

function s3CredentialsFromJson(
  value: unknown,
  fail: (name: string, problem: string) => never,
): S3BackendConfig['credentials'] {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null) return fail('credentials', 'expected an object');
  const c = value as Record<string, unknown>;
  const text = (name: string, required: boolean) => {
    const v = c[name];
    if (v === undefined && !required) return undefined;
    if (typeof v !== 'string' || v === '') return fail(`credentials.${name}`, 'expected a string');
    return v;
  };
  const sessionToken = text('sessionToken', false);
  return {
    accessKeyId: text('accessKeyId', true)!,
    secretAccessKey: text('secretAccessKey', true)!,
    ...(sessionToken ? { sessionToken } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// Azure

type AzureField =
  | 'container'
  | 'connectionString'
  | 'accountName'
  | 'accountKey'
  | 'accountUrl'
  | 'sasToken'
  | 'prefix'
  | 'accessTier'
  | 'blockSizeBytes'
  | 'concurrency'
  | 'maxRetries';

const ENV_AZURE_NAMES: Record<AzureField, string> = {
  container: 'AZURE_CONTAINER',
  connectionString: 'AZURE_STORAGE_CONNECTION_STRING',
  accountName: 'AZURE_STORAGE_ACCOUNT',
  accountKey: 'AZURE_STORAGE_KEY',
  accountUrl: 'AZURE_STORAGE_ACCOUNT_URL',
  sasToken: 'AZURE_STORAGE_SAS_TOKEN',
  prefix: 'AZURE_PREFIX',
  accessTier: 'AZURE_ACCESS_TIER',
  blockSizeBytes: 'AZURE_BLOCK_SIZE_BYTES',
  concurrency: 'AZURE_UPLOAD_CONCURRENCY',
  maxRetries: 'AZURE_MAX_RETRIES',
};
const JSON_AZURE_NAMES = Object.fromEntries(
  Object.keys(ENV_AZURE_NAMES).map((k) => [k, k]),
) as Record<AzureField, string>;

function azureBackend(f: Fields, n: Record<AzureField, string>): AzureBackendConfig {
  const container = f.required(n.container);
  // Container naming rules: 3–63 chars, lowercase letters, digits, single dashes.
  if (!/^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/.test(container)) {
    f.fail(n.container, 'not a valid container name (3–63 of a-z 0-9 -, no double dash)');
  }
  const connectionString = f.string(n.connectionString);
  const accountName = f.string(n.accountName);
  const accountKey = f.string(n.accountKey);
  const accountUrl = f.string(n.accountUrl);
  const sasToken = f.string(n.sasToken);
  if (accountUrl !== undefined) checkUrl(f, n.accountUrl, accountUrl);
  if (accountKey !== undefined && !/^[A-Za-z0-9+/]+={0,2}$/.test(accountKey)) {
    f.fail(n.accountKey, 'not base64');
  }
  const auth =
    connectionString !== undefined ||
    (accountName !== undefined && accountKey !== undefined) ||
    (accountUrl !== undefined && sasToken !== undefined);
  if (!auth) {
    f.fail(
      n.connectionString,
      `required, or ${n.accountName} with ${n.accountKey}, or ${n.accountUrl} with ${n.sasToken}`,
    );
  }
  const accessTier = f.oneOf(n.accessTier, AZURE_ACCESS_TIERS);
  return {
    kind: 'azure',
    container,
    ...(connectionString !== undefined ? { connectionString } : {}),
    ...(accountName !== undefined ? { accountName } : {}),
    ...(accountKey !== undefined ? { accountKey } : {}),
    ...(accountUrl !== undefined ? { accountUrl } : {}),
    ...(sasToken !== undefined ? { sasToken: sasToken.replace(/^\?/, '') } : {}),
    prefix: keyPrefix(f, n.prefix),
    ...(accessTier !== undefined ? { accessTier } : {}),
    blockSizeBytes: f.integer(
      n.blockSizeBytes,
      AZURE_DEFAULTS.blockSizeBytes,
      64 * 1024,
      AZURE_MAX_BLOCK,
    ),
    concurrency: f.integer(n.concurrency, AZURE_DEFAULTS.concurrency, 1, 64),
    maxRetries: f.integer(n.maxRetries, AZURE_DEFAULTS.maxRetries, 0, 20),
  };
}

/**
 * The variable (environment tier) or JSON path (STRATA_CONFIG tier) an operator must fix when
 * a start-up probe of the tier's backend blames `setting` (storage/errors.ts StorageSetting).
 */
export function settingName(tier: TierConfig, setting: string): string {
  const b = tier.backend;
  let field: string;
  if (b.kind === 's3') {
    if (setting === 'endpoint') field = b.endpoint !== undefined ? 'endpoint' : 'region';
    else if (setting === 'credentials') field = 'credentials';
    else field = setting === 'region' ? 'region' : 'bucket';
    if (tier.source !== undefined) return `${tier.source}.${field}`;
    return field === 'credentials' ? 'AWS_ACCESS_KEY_ID' : ENV_S3_NAMES[field as S3Field];
  }
  if (b.kind === 'azure') {
    const auth: AzureField =
      b.connectionString !== undefined
        ? 'connectionString'
        : b.accountKey !== undefined
          ? 'accountKey'
          : 'sasToken';
    if (setting === 'container') field = 'container';
    else if (setting === 'credentials' || b.connectionString !== undefined) field = auth;
    else field = b.accountUrl !== undefined ? 'accountUrl' : 'accountName';
    if (tier.source !== undefined) return `${tier.source}.${field}`;
    return ENV_AZURE_NAMES[field as AzureField];
  }
  return tier.source ?? 'STORAGE_BACKEND';
}

// ---------------------------------------------------------------------------------------------
// Shared checks

/** '' or safe key segments; normalised to end in '/' so `prefix + key` never merges segments. */
function keyPrefix(f: Fields, name: string): string {
  const value = f.string(name)?.replace(/^\/+|\/+$/g, '');
  if (value === undefined || value === '') return '';
  if (!/^[a-z0-9._-]+(\/[a-z0-9._-]+)*$/.test(value) || /(^|\/)\.{1,2}(\/|$)/.test(value)) {
    f.fail(name, 'must be segments of a-z 0-9 . _ - separated by /');
  }
  return `${value}/`;
}

/** Never echoes the URL: it can carry credentials. */
function checkUrl(f: Fields, name: string, value: string): void {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return f.fail(name, 'not a valid URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') f.fail(name, 'must be http(s)');
}

// ---------------------------------------------------------------------------------------------
// Encryption keys

const KEY_ID = /^[A-Za-z0-9._-]{1,32}$/;
/** Key id of ENCRYPTION_KEY, and of a key file's lone key without `id=`. */
export const DEFAULT_KEY_ID = 'default';

/**
 * ENCRYPTION_KEY (base64 of 32 bytes, id "default") or ENCRYPTION_KEY_FILE: lines of
 * `keyid=base64`, `#` comments and blank lines ignored, optionally `active=keyid`; without it the
 * last key encrypts. Every key decrypts (rotation: append a new key, keep the old ones).
 */
function encryptionFromEnv(env: Env): EncryptionConfig | undefined {
  const inline = env['ENCRYPTION_KEY']?.trim() || undefined;
  const file = env['ENCRYPTION_KEY_FILE']?.trim() || undefined;
  if (inline !== undefined && file !== undefined) {
    throw new ConfigError(
      'ENCRYPTION_KEY_FILE',
      'set either ENCRYPTION_KEY or ENCRYPTION_KEY_FILE',
    );
  }
  if (inline !== undefined) {
    const key = decodeKey(inline, 'ENCRYPTION_KEY');
    return { activeKeyId: DEFAULT_KEY_ID, keys: new Map([[DEFAULT_KEY_ID, key]]) };
  }
  if (file === undefined) return undefined;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as { code?: string }).code ?? 'error';
    throw new ConfigError('ENCRYPTION_KEY_FILE', `cannot read the key file (${code})`);
  }
  return parseKeyFile(text);
}

/** Parses a key file's text; errors name the line number, never its content. */
export function parseKeyFile(text: string): EncryptionConfig {
  const variable = 'ENCRYPTION_KEY_FILE';
  const keys = new Map<string, Buffer>();
  let active: string | undefined;
  let last: string | undefined;
  const lines = text.split(/\r?\n/);
  lines.forEach((rawLine, i) => {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) return;
    const eq = line.indexOf('=');
    // A lone base64 key may itself end in '=' padding: only `id=` before a non-empty rest counts.
    const lone = eq < 0 || /^[A-Za-z0-9+/]+={1,2}$/.test(line);
    const id = lone ? DEFAULT_KEY_ID : line.slice(0, eq).trim();
    const value = lone ? line : line.slice(eq + 1).trim();
    if (id === 'active') {
      active = value;
      return;
    }
    if (!KEY_ID.test(id))
      throw new ConfigError(variable, `line ${i + 1}: key id must match ${KEY_ID.source}`);
    if (keys.has(id)) throw new ConfigError(variable, `line ${i + 1}: duplicate key id "${id}"`);
    keys.set(id, decodeKey(value, variable, `line ${i + 1}: `));
    last = id;
  });
  if (last === undefined) throw new ConfigError(variable, 'no key in the file');
  if (active !== undefined && !keys.has(active)) {
    throw new ConfigError(variable, `active key id "${active}" is not in the file`);
  }
  return { activeKeyId: active ?? last, keys };
}

function decodeKey(value: string, variable: string, where = ''): Buffer {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(value)) {
    throw new ConfigError(
      variable,
      `${where}must be base64 of 32 random bytes (openssl rand -base64 32)`,
    );
  }
  const key = Buffer.from(value, 'base64');
  if (key.length !== 32) {
    throw new ConfigError(
      variable,
      `${where}must decode to 32 bytes for AES-256, not ${key.length}`,
    );
  }
  return key;
}

import { join } from 'node:path';
import { readEncryption, type EncryptionConfig } from './encryption.js';
import { ConfigError } from './errors.js';
import {
  envSource,
  jsonNames,
  jsonSource,
  readSettings,
  type Env,
  type Source,
  type Values,
} from './setting.js';
import { AWS_CREDENTIALS, AZURE, S3, STORAGE_BACKEND } from './storage-settings.js';

/**
 * Storage configuration: which backend each tier uses, and encryption at rest. From the
 * environment for the single-backend case (STORAGE_BACKEND, S3_*, AZURE_*, ENCRYPTION_KEY*);
 * a STRATA_CONFIG file (config-file.ts) may instead list several tiers, each backend read by
 * `parseBackendJson` from the same declarations (storage-settings.ts). Plain data only:
 * compose-storage.ts turns it into BlobStores, the field names being the stores' option names.
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

export type S3Credentials = { accessKeyId: string; secretAccessKey: string; sessionToken?: string };

export type S3BackendConfig = { kind: 's3'; credentials?: S3Credentials } & Values<typeof S3>;

export type AzureBackendConfig = { kind: 'azure' } & Values<typeof AZURE>;

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

export interface StorageConfig {
  /** Ordered: new instances land in the first. At least one. */
  tiers: TierConfig[];
  encryption: EncryptionConfig | undefined;
}

/** The single-backend storage configuration from the environment. */
export function storageConfigFromEnv(env: Env, dataDir: string): StorageConfig {
  const source = envSource(env);
  const kind = STORAGE_BACKEND.read(source);
  let backend: BackendConfig;
  switch (kind) {
    case 'fs':
      backend = { kind: 'fs', root: join(dataDir, 'blobs') };
      break;
    case 's3':
      backend = s3Backend(source, s3CredentialsFromEnv(source));
      break;
    case 'azure':
      backend = azureBackend(source);
      break;
  }
  return { tiers: [{ name: kind, backend }], encryption: readEncryption(source) };
}

const BACKEND_FIELDS = {
  fs: ['kind', 'root'],
  memory: ['kind'],
  s3: ['kind', 'credentials', ...jsonNames(S3)],
  azure: ['kind', ...jsonNames(AZURE)],
} as const satisfies Record<BackendConfig['kind'], readonly string[]>;

/**
 * Validates one backend object of the STRATA_CONFIG file; the field names are those of
 * `BackendConfig` (`{ "kind": "s3", "bucket": "…", "region": "…", "storageClass": "GLACIER" }`),
 * defaults as with the environment. `where` is the JSON path used in errors
 * (`STRATA_CONFIG: $.tiers[2].backend`). A relative fs `root` is returned as written: the caller
 * resolves it against the file's folder. S3 credentials may be omitted (→ the SDK's default
 * chain, including AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY).
 */
export function parseBackendJson(value: unknown, where: string): BackendConfig {
  const fail = (field: string, problem: string): never => {
    throw new ConfigError(field === '' ? where : `${where}.${field}`, problem);
  };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return fail('', 'expected an object');
  }
  const object = value as Record<string, unknown>;
  const source = jsonSource(object, fail);
  const kind = source.get('kind');
  if (kind === undefined) return fail('kind', 'required (fs, memory, s3, azure)');
  if (typeof kind !== 'string') return fail('kind', 'expected a string');
  if (!Object.hasOwn(BACKEND_FIELDS, kind)) {
    return fail('kind', `expected one of fs, memory, s3, azure, got "${kind}"`);
  }
  const allowed: readonly string[] = BACKEND_FIELDS[kind as BackendConfig['kind']];
  for (const key of Object.keys(object)) {
    if (!allowed.includes(key)) {
      fail(key, `unknown field for a ${kind} backend (expected ${allowed.join(', ')})`);
    }
  }
  switch (kind as BackendConfig['kind']) {
    case 'fs': {
      const root = object['root'];
      if (typeof root !== 'string' || root.trim() === '') return fail('root', 'required');
      return { kind: 'fs', root: root.trim() };
    }
    case 'memory':
      return { kind: 'memory' };
    case 's3':
      return s3Backend(source, s3CredentialsFromJson(object['credentials'], fail));
    case 'azure':
      return azureBackend(source);
  }
}

/** Leaves out what is unset, so a backend object shows only what was configured. */
function defined<T extends object>(object: T): T {
  return Object.fromEntries(Object.entries(object).filter(([, v]) => v !== undefined)) as T;
}

function s3Backend(source: Source, credentials: S3Credentials | undefined): S3BackendConfig {
  const values = readSettings(S3, source);
  if (values.sseKmsKeyId !== undefined && values.serverSideEncryption !== 'aws:kms') {
    source.fail(
      name(S3.sseKmsKeyId, source),
      `only meaningful with ${name(S3.serverSideEncryption, source)}=aws:kms`,
    );
  }
  return defined({ kind: 's3', ...values, credentials });
}

function azureBackend(source: Source): AzureBackendConfig {
  const values = readSettings(AZURE, source);
  const { connectionString, accountName, accountKey, accountUrl, sasToken } = values;
  const auth =
    connectionString !== undefined ||
    (accountName !== undefined && accountKey !== undefined) ||
    (accountUrl !== undefined && sasToken !== undefined);
  if (!auth) {
    const n = (setting: keyof typeof AZURE) => name(AZURE[setting], source);
    source.fail(
      n('connectionString'),
      `required, or ${n('accountName')} with ${n('accountKey')}, or ${n('accountUrl')} with ${n('sasToken')}`,
    );
  }
  return defined({ kind: 'azure', ...values });
}

/** The name a setting goes by in `source`: its variable, or its JSON field. */
function name(setting: { env: string | undefined; json: string | undefined }, source: Source) {
  return (source.from === 'env' ? setting.env : setting.json) ?? '';
}

/** Both of the standard variables or neither (then the SDK's default credential chain). */
function s3CredentialsFromEnv(source: Source): S3Credentials | undefined {
  const { accessKeyId, secretAccessKey, sessionToken } = readSettings(AWS_CREDENTIALS, source);
  if (accessKeyId === undefined && secretAccessKey === undefined) return undefined;
  const [id, secret] = [AWS_CREDENTIALS.accessKeyId.env!, AWS_CREDENTIALS.secretAccessKey.env!];
  if (accessKeyId === undefined) return source.fail(id, `required when ${secret} is set`);
  if (secretAccessKey === undefined) return source.fail(secret, `required when ${id} is set`);
  return defined({ accessKeyId, secretAccessKey, sessionToken });
}

function s3CredentialsFromJson(
  value: unknown,
  fail: (name: string, problem: string) => never,
): S3Credentials | undefined {
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
  return defined({
    accessKeyId: text('accessKeyId', true)!,
    secretAccessKey: text('secretAccessKey', true)!,
    sessionToken,
  });
}

/**
 * The variable (environment tier) or JSON path (STRATA_CONFIG tier) an operator must fix when
 * a start-up probe of the tier's backend blames `setting` (storage/errors.ts StorageSetting).
 */
export function settingName(tier: TierConfig, setting: string): string {
  const b = tier.backend;
  if (b.kind === 's3') {
    let field: keyof typeof S3 | 'credentials';
    if (setting === 'endpoint') field = b.endpoint !== undefined ? 'endpoint' : 'region';
    else if (setting === 'credentials') field = 'credentials';
    else field = setting === 'region' ? 'region' : 'bucket';
    if (tier.source !== undefined) return `${tier.source}.${field}`;
    return field === 'credentials' ? AWS_CREDENTIALS.accessKeyId.env! : S3[field].env!;
  }
  if (b.kind === 'azure') {
    const auth: keyof typeof AZURE =
      b.connectionString !== undefined
        ? 'connectionString'
        : b.accountKey !== undefined
          ? 'accountKey'
          : 'sasToken';
    let field: keyof typeof AZURE;
    if (setting === 'container') field = 'container';
    else if (setting === 'credentials' || b.connectionString !== undefined) field = auth;
    else field = b.accountUrl !== undefined ? 'accountUrl' : 'accountName';
    if (tier.source !== undefined) return `${tier.source}.${field}`;
    return AZURE[field].env!;
  }
  return tier.source ?? STORAGE_BACKEND.env!;
}

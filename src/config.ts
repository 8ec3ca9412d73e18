import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { readConfigFile, type HsmConfig } from './config-file.js';
import { storageConfigFromEnv, type StorageConfig } from './config-storage.js';

/**
 * Configuration: environment variables → a typed, validated Config, read once at start-up.
 * Every variable is listed in README "Configuration"; a bad value stops start-up with a message
 * naming the variable. Only compose.ts and cli/ read Config; modules get plain option objects.
 */
export interface Config {
  host: string;
  port: number;
  /** Root of embedded state: PGlite index under `index/`, filesystem blobs under `blobs/`. */
  dataDir: string;
  /** PostgreSQL URL; unset → embedded PGlite in `dataDir/index`. */
  databaseUrl: string | undefined;
  databasePoolSize: number;
  /** Index availability (PostgreSQL only; PGlite runs in-process). */
  database: {
    /**
     * Longest wait for one statement or connection attempt, in ms (0 = none). Beyond it the
     * request answers 503 instead of hanging on a stalled database.
     */
    queryTimeoutMs: number;
    /** How long start-up keeps retrying an unreachable database, in seconds (0 = not at all). */
    connectRetrySeconds: number;
  };
  /** Path prefix of the DICOMweb Studies Service. */
  dicomwebRoot: string;
  /** Public URL of the server as clients see it (behind a proxy); unset → from the request. */
  publicBaseUrl: string | undefined;
  /** Honour Forwarded / X-Forwarded-Host / X-Forwarded-Proto when no public URL is set. */
  trustProxyHeaders: boolean;
  /** Allowed CORS origins; `['*']` allows any. Empty → CORS off. */
  corsOrigins: string[];
  /**
   * Longest time to receive one request, in seconds (0 = no limit). Node's default of 300 s
   * would cut off a multi-gigabyte STOW over a slow link.
   */
  requestTimeoutSeconds: number;
  /** Slow clients: idle request bodies and open connections (README "Slow clients"). */
  http: {
    /** A request whose client sends no body byte this long is ended with 408 (0 = never). */
    idleTimeoutSeconds: number;
    /** Open connections overall / per client address (0 = no limit). */
    maxConnections: number;
    maxConnectionsPerClient: number;
  };
  stow: {
    /** Largest accepted instance (part) in bytes. */
    maxInstanceBytes: number;
    /** Most parts in one STOW request. */
    maxParts: number;
    /** Largest File Meta + dataset header kept in memory while parsing one instance. */
    maxHeaderBytes: number;
    /** What a different object under an existing SOP Instance UID does. */
    duplicatePolicy: 'reject' | 'replace';
    /** Uploads received at once overall (503 beyond) / per client address (429) (0 = no limit). */
    maxConcurrentUploads: number;
    maxConcurrentUploadsPerClient: number;
  };
  /** QIDO-RS paging (PS3.18 8.3.4.4): results per page by default, and the largest limit. */
  qido: {
    defaultLimit: number;
    maxLimit: number;
  };
  /**
   * Decoding and rendering (rendered, thumbnails, frames and instances transcoded to native):
   * worker threads = slots at once, and how many requests may wait for a slot before 503.
   */
  render: {
    concurrency: number;
    queueMax: number;
  };
  sweeper: {
    intervalSeconds: number;
    /** An upload with no commit after this long is considered dead and its blob swept. */
    pendingGraceSeconds: number;
    /** A replaced or deleted instance's blob stays this long for in-flight reads. */
    deleteGraceSeconds: number;
  };
  /** Storage tiers (the first receives new instances) and encryption at rest. */
  storage: StorageConfig;
  /** Tiers, policies and recall from the STRATA_CONFIG file; undefined without one. */
  hsm: HsmConfig | undefined;
  /** Enables /admin/* (HSM run, stats, cycles) with `Authorization: Bearer <token>`. */
  adminToken: string | undefined;
  logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent';
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'config.invalid';
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`${variable}: ${problem}`);
  }
}

type Env = Record<string, string | undefined>;

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

export function loadConfig(env: Env = process.env): Config {
  const read = new EnvReader(env);
  const dataDir = resolve(read.string('DATA_DIR', './data'));
  const config: Config = {
    host: read.string('HOST', '127.0.0.1'),
    port: read.integer('PORT', 8080, { min: 0, max: 65535 }),
    dataDir,
    databaseUrl: read.url('DATABASE_URL', ['postgres:', 'postgresql:']),
    databasePoolSize: read.integer('DATABASE_POOL_SIZE', 10, { min: 1, max: 1000 }),
    database: {
      // 30 s: far above an index lookup or a STOW commit (milliseconds), room for a broad QIDO
      // on a large index, and below the patience of clients and proxies (often 60 s).
      queryTimeoutMs: read.integer('DATABASE_QUERY_TIMEOUT_MS', 30_000, { min: 0 }),
      // 60 s covers a database container started alongside ours (compose, Kubernetes).
      connectRetrySeconds: read.integer('DATABASE_CONNECT_RETRY_SECONDS', 60, { min: 0 }),
    },
    dicomwebRoot: read.path('DICOMWEB_ROOT', '/dicom-web'),
    publicBaseUrl: read.url('PUBLIC_BASE_URL', ['http:', 'https:'])?.replace(/\/+$/, ''),
    trustProxyHeaders: read.boolean('TRUST_PROXY_HEADERS', true),
    corsOrigins: read.list('CORS_ORIGINS', ['*']),
    requestTimeoutSeconds: read.integer('HTTP_REQUEST_TIMEOUT_SECONDS', 3600, { min: 0 }),
    http: {
      idleTimeoutSeconds: read.integer('HTTP_IDLE_TIMEOUT_SECONDS', 60, { min: 0 }),
      maxConnections: read.integer('HTTP_MAX_CONNECTIONS', 1024, { min: 0 }),
      maxConnectionsPerClient: read.integer('HTTP_MAX_CONNECTIONS_PER_CLIENT', 128, { min: 0 }),
    },
    stow: {
      maxInstanceBytes: read.integer('STOW_MAX_INSTANCE_BYTES', 4 * GiB, { min: 1024 }),
      maxParts: read.integer('STOW_MAX_PARTS', 10_000, { min: 1 }),
      maxHeaderBytes: read.integer('STOW_MAX_HEADER_BYTES', 64 * MiB, { min: 64 * 1024 }),
      duplicatePolicy: read.oneOf('STOW_DUPLICATE_POLICY', ['reject', 'replace'], 'reject'),
      maxConcurrentUploads: read.integer('STOW_MAX_CONCURRENT_UPLOADS', 64, { min: 0 }),
      maxConcurrentUploadsPerClient: read.integer('STOW_MAX_CONCURRENT_UPLOADS_PER_CLIENT', 16, {
        min: 0,
      }),
    },
    qido: qidoConfig(read),
    render: {
      concurrency: read.integer('RENDER_CONCURRENCY', availableParallelism(), { min: 1, max: 256 }),
      queueMax: read.integer('RENDER_QUEUE_MAX', 32, { min: 0 }),
    },
    sweeper: {
      intervalSeconds: read.integer('SWEEP_INTERVAL_SECONDS', 300, { min: 0 }),
      pendingGraceSeconds: read.integer('SWEEP_PENDING_GRACE_SECONDS', 6 * 3600, { min: 0 }),
      deleteGraceSeconds: read.integer('SWEEP_DELETE_GRACE_SECONDS', 600, { min: 0 }),
    },
    storage: storageConfigFromEnv(env, dataDir),
    hsm: undefined,
    adminToken: read.secret('ADMIN_TOKEN', 16),
    logLevel: read.oneOf('LOG_LEVEL', ['debug', 'info', 'warn', 'error', 'silent'], 'info'),
  };
  // A STRATA_CONFIG file's tiers replace the environment's single backend.
  const configFile = read.string('STRATA_CONFIG', '');
  if (configFile !== '') {
    const file = readConfigFile(resolve(configFile));
    config.storage = { ...config.storage, tiers: file.tiers };
    config.hsm = file.hsm;
  }
  return config;
}

function qidoConfig(read: EnvReader): Config['qido'] {
  const maxLimit = read.integer('QIDO_MAX_LIMIT', 1000, { min: 1, max: 100_000 });
  const defaultLimit = read.integer('QIDO_DEFAULT_LIMIT', Math.min(100, maxLimit), { min: 1 });
  if (defaultLimit > maxLimit) {
    throw new ConfigError('QIDO_DEFAULT_LIMIT', `must be at most QIDO_MAX_LIMIT (${maxLimit})`);
  }
  return { defaultLimit, maxLimit };
}

class EnvReader {
  constructor(private readonly env: Env) {}

  private raw(name: string): string | undefined {
    const value = this.env[name]?.trim();
    return value === '' ? undefined : value;
  }

  string(name: string, fallback: string): string {
    return this.raw(name) ?? fallback;
  }

  integer(name: string, fallback: number, range: { min?: number; max?: number } = {}): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (!/^\d+$/.test(value))
      throw new ConfigError(name, `expected a whole number, got "${value}"`);
    const n = Number(value);
    if (!Number.isSafeInteger(n)) throw new ConfigError(name, 'number too large');
    if (range.min !== undefined && n < range.min) {
      throw new ConfigError(name, `must be at least ${range.min}`);
    }
    if (range.max !== undefined && n > range.max) {
      throw new ConfigError(name, `must be at most ${range.max}`);
    }
    return n;
  }

  boolean(name: string, fallback: boolean): boolean {
    const value = this.raw(name)?.toLowerCase();
    if (value === undefined) return fallback;
    if (['1', 'true', 'yes', 'on'].includes(value)) return true;
    if (['0', 'false', 'no', 'off'].includes(value)) return false;
    throw new ConfigError(name, `expected true or false, got "${value}"`);
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (!(allowed as readonly string[]).includes(value)) {
      throw new ConfigError(name, `expected one of ${allowed.join(', ')}, got "${value}"`);
    }
    return value as T;
  }

  list(name: string, fallback: string[]): string[] {
    const value = this.env[name];
    if (value === undefined) return fallback;
    return value
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
  }

  /** Never echoes the value. */
  secret(name: string, minLength: number): string | undefined {
    const value = this.raw(name);
    if (value !== undefined && value.length < minLength) {
      throw new ConfigError(name, `must be at least ${minLength} characters`);
    }
    return value;
  }

  /** Never echoes the value: URLs can hold credentials. */
  url(name: string, protocols: string[]): string | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    let parsed: URL;
    try {
      parsed = new URL(value);
    } catch {
      throw new ConfigError(name, 'not a valid URL');
    }
    if (!protocols.includes(parsed.protocol)) {
      throw new ConfigError(name, `URL scheme must be one of ${protocols.join(', ')}`);
    }
    return value;
  }

  path(name: string, fallback: string): string {
    const value = this.raw(name) ?? fallback;
    if (!/^\/[A-Za-z0-9._~\-/]*$/.test(value) || value.includes('//')) {
      throw new ConfigError(name, 'must be an absolute URL path such as /dicom-web');
    }
    return value.replace(/\/+$/, '') || '';
  }
}

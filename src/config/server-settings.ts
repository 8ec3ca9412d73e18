import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { AddressList } from '../lib/address-list.js';
import { integer, list, oneOf, secret, string, url } from './setting.js';

/**
 * The server's settings, by the Config field they fill. Each is declared here once; the README
 * "Configuration" table is rendered from these declarations (table.ts).
 */
export const SERVER = {
  host: string({ env: 'HOST', default: '127.0.0.1', help: 'listen address' }),
  port: integer({
    env: 'PORT',
    default: 8080,
    min: 0,
    max: 65535,
    help: 'listen port (`0` = any free port)',
  }),
  /** Root of embedded state: PGlite index under `index/`, filesystem blobs under `blobs/`. */
  dataDir: string({
    env: 'DATA_DIR',
    values: 'folder path',
    default: './data',
    map: (value) => resolve(value),
    help: 'embedded state: PGlite index in `index/`, filesystem blobs in `blobs/`. With PGlite one process at a time holds `DATA_DIR/index.lock`; another `strata` command on the same `DATA_DIR` exits 2 naming the holder (pid, host, command)',
  }),
  databaseUrl: url({
    env: 'DATABASE_URL',
    protocols: ['postgres:', 'postgresql:'],
    help: '`postgres://…` → PostgreSQL via postgres.js; unset → embedded PGlite in `DATA_DIR/index`',
  }),
  databasePoolSize: integer({
    env: 'DATABASE_POOL_SIZE',
    default: 10,
    min: 1,
    max: 1000,
    help: 'PostgreSQL connections',
  }),
  databasePreparedStatements: integer({
    env: 'DATABASE_PREPARED_STATEMENTS',
    default: 256,
    min: 0,
    max: 100_000,
    help: 'PostgreSQL: most distinct SQL texts run as prepared statements (from their second use; one round trip instead of two). `0` behind a pooler in transaction mode that cannot keep them',
  }),
  dicomwebRoot: string({
    env: 'DICOMWEB_ROOT',
    values: 'absolute URL path',
    default: '/dicom-web',
    check: (value) =>
      /^\/[A-Za-z0-9._~\-/]*$/.test(value) && !value.includes('//')
        ? undefined
        : 'must be an absolute URL path such as /dicom-web',
    map: (value) => value.replace(/\/+$/, ''),
    help: 'path of the Studies Service',
  }),
  /** Public URL of the server as clients see it (behind a proxy); unset → from the request. */
  publicBaseUrl: url({
    env: 'PUBLIC_BASE_URL',
    protocols: ['http:', 'https:'],
    map: (value) => value.replace(/\/+$/, ''),
    help: 'URL clients see (e.g. `https://pacs.example.org`); every RetrieveURL starts with it. Unset → taken from the request',
  }),
  /**
   * Proxy headers name the host of every RetrieveURL and the client address the audit trail
   * and rate limits see: honoured only from these TCP peers, never from anyone who asks.
   */
  trustedProxies: list({
    env: 'TRUSTED_PROXIES',
    default: ['127.0.0.1', '::1'],
    check: (values) => {
      const list = AddressList.parse(values);
      return typeof list === 'string' ? list : undefined;
    },
    help: 'reverse proxies whose `Forwarded`, `X-Forwarded-Proto`, `-Host`, `-Prefix` and `-For` headers are honoured (IPv4/IPv6 addresses and CIDR ranges, e.g. `10.0.0.0/8,fd00::/8`); from any other peer they are ignored. The default suits a reverse proxy on the same machine; empty = trust none',
  }),
  corsOrigins: list({
    env: 'CORS_ORIGINS',
    default: ['*'],
    help: 'browser origins allowed to call Strata (e.g. `https://viewer.example.org`). `*` = any origin, but only to read (GET, HEAD); origins listed by name may also store and delete. Credentialed requests (cookies) are never allowed: `Access-Control-Allow-Credentials` is never sent, and viewers need none to send `Authorization: Bearer`. Empty = CORS off',
  }),
  /** Node's default of 300 s would cut off a multi-gigabyte STOW over a slow link. */
  requestTimeoutSeconds: integer({
    env: 'HTTP_REQUEST_TIMEOUT_SECONDS',
    default: 3600,
    min: 0,
    help: 'longest time to receive one request (`0` = no limit); large STOW uploads over slow links need it',
  }),
  /** One way to hold the admin action (auth/authenticate.ts); roles are the other. */
  adminToken: secret({
    env: 'ADMIN_TOKEN',
    minLength: 16,
    help: 'a bearer token that holds the admin action only (`/admin/*`: HSM, audit; no access to images), for scripts and sites without an identity provider; an admin role from any `AUTH_METHODS` does the same',
  }),
  logLevel: oneOf({
    env: 'LOG_LEVEL',
    values: ['debug', 'info', 'warn', 'error', 'silent'] as const,
    default: 'info',
    help: 'JSON lines on stderr; never UIDs or patient data; the line that says why the process stops is written at any level',
  }),
};

/** Index availability (PostgreSQL only; PGlite runs in-process). */
export const DATABASE = {
  // 30 s: far above an index lookup or a STOW commit (milliseconds), room for a broad QIDO on a
  // large index, and below the patience of clients and proxies (often 60 s).
  queryTimeoutMs: integer({
    env: 'DATABASE_QUERY_TIMEOUT_MS',
    default: 30_000,
    min: 0,
    help: 'PostgreSQL: longest wait for one statement or connection attempt; beyond it the request answers 503 (`index.unavailable`, `Retry-After: 5`) instead of hanging. Sets `statement_timeout` and `connect_timeout` and closes connections that stop answering. `0` = no limit. Migrations run without it',
  }),
  // 60 s covers a database container started alongside ours (compose, Kubernetes).
  connectRetrySeconds: integer({
    env: 'DATABASE_CONNECT_RETRY_SECONDS',
    default: 60,
    min: 0,
    help: 'PostgreSQL: how long start-up (`serve`, `migrate`) keeps retrying a database that is not reachable yet, backing off from 0.5 s to 10 s with one warning line per attempt. `0` = fail at once. Wrong credentials or a missing database fail at once (exit 2)',
  }),
};

/** Slow clients: idle request bodies and open connections (README "Slow clients"). */
export const HTTP = {
  idleTimeoutSeconds: integer({
    env: 'HTTP_IDLE_TIMEOUT_SECONDS',
    default: 60,
    min: 0,
    help: 'a request whose client sends no body byte this long is ended with 408 and the connection closed; the part in flight is discarded (`0` = never). Downloads are never timed',
  }),
  maxConnections: integer({
    env: 'HTTP_MAX_CONNECTIONS',
    default: 1024,
    min: 0,
    help: 'open connections overall; more are dropped at accept (`0` = no limit)',
  }),
  maxConnectionsPerClient: integer({
    env: 'HTTP_MAX_CONNECTIONS_PER_CLIENT',
    default: 128,
    min: 0,
    help: 'open connections from one client address; more are closed at accept (`0` = no limit)',
  }),
};

export const STOW = {
  maxInstanceBytes: integer({
    env: 'STOW_MAX_INSTANCE_BYTES',
    default: 4 * 1024 ** 3,
    min: 1024,
    bytes: true,
    help: 'largest instance; larger parts fail with 0xA700',
  }),
  maxParts: integer({
    env: 'STOW_MAX_PARTS',
    default: 10_000,
    min: 1,
    help: 'most parts in one STOW request; later parts are not read (413 if nothing was stored, else 202 listing what was)',
  }),
  maxHeaderBytes: integer({
    env: 'STOW_MAX_HEADER_BYTES',
    default: 64 * 1024 ** 2,
    min: 64 * 1024,
    bytes: true,
    help: "memory cap for one instance's non-bulk attributes while parsing",
  }),
  duplicatePolicy: oneOf({
    env: 'STOW_DUPLICATE_POLICY',
    values: ['reject', 'replace'] as const,
    default: 'reject',
    help: 'a *different* object under an existing SOP Instance UID: `reject` (0x0111) or `replace` (new version)',
  }),
  maxConcurrentUploads: integer({
    env: 'STOW_MAX_CONCURRENT_UPLOADS',
    default: 64,
    min: 0,
    help: 'STOW requests received at once; more → 503 with `Retry-After` (`0` = no limit)',
  }),
  maxConcurrentUploadsPerClient: integer({
    env: 'STOW_MAX_CONCURRENT_UPLOADS_PER_CLIENT',
    default: 16,
    min: 0,
    help: 'STOW requests received at once from one client address; more → 429 with `Retry-After` (`0` = no limit)',
  }),
};

/** The QIDO default page size when QIDO_DEFAULT_LIMIT is unset (lowered to the maximum). */
export const QIDO_DEFAULT_LIMIT = 100;

/** QIDO-RS paging (PS3.18 8.3.4.4): results per page by default, and the largest limit. */
export const QIDO = {
  defaultLimit: integer({
    env: 'QIDO_DEFAULT_LIMIT',
    min: 1,
    shown: `${QIDO_DEFAULT_LIMIT} (or \`QIDO_MAX_LIMIT\` if lower)`,
    help: 'results per page when the request has no `limit`; at most `QIDO_MAX_LIMIT`',
  }),
  maxLimit: integer({
    env: 'QIDO_MAX_LIMIT',
    default: 1000,
    min: 1,
    max: 100_000,
    help: 'the most results one response holds; larger limits are reduced to it',
  }),
};

/**
 * Decoding and rendering (rendered, thumbnails, frames and instances transcoded to native):
 * worker threads = slots at once, and how many requests may wait for a slot before 503.
 */
export const RENDER = {
  concurrency: integer({
    env: 'RENDER_CONCURRENCY',
    default: availableParallelism(),
    shown: 'number of CPU cores',
    min: 1,
    max: 256,
    help: 'decodes/renders at once (rendered, thumbnails, frames and instances transcoded to Explicit VR Little Endian); each has its own worker thread and holds one decoded frame in memory',
  }),
  queueMax: integer({
    env: 'RENDER_QUEUE_MAX',
    default: 32,
    min: 0,
    help: 'requests that may wait for a decode/render slot; one more gets 503 problem+json with `Retry-After: 1` (`0` = no waiting)',
  }),
  frameCacheBytes: integer({
    env: 'RENDER_FRAME_CACHE_BYTES',
    default: 64 * 1024 ** 2, // as imaging/gray-frame-cache.ts DEFAULT_FRAME_CACHE_BYTES
    min: 0,
    bytes: true,
    help: 'memory for decoded grayscale frames kept so that rendering the same frame with another window (a viewer dragging window width/center) skips the read and the decode: LRU, at most 2 bytes per pixel (a 512² CT frame 512 KiB), keyed by content hash, version and frame (`0` = none)',
  }),
};

export const SWEEPER = {
  intervalSeconds: integer({
    env: 'SWEEP_INTERVAL_SECONDS',
    default: 300,
    min: 0,
    help: 'how often orphaned blobs are swept (`0` = only at start-up)',
  }),
  pendingGraceSeconds: integer({
    env: 'SWEEP_PENDING_GRACE_SECONDS',
    default: 6 * 3600,
    min: 0,
    help: 'an upload not committed after this long is considered dead and its blob swept',
  }),
  deleteGraceSeconds: integer({
    env: 'SWEEP_DELETE_GRACE_SECONDS',
    default: 600,
    min: 0,
    help: "a replaced version's blob stays readable this long for in-flight reads",
  }),
};

export const CONFIG_FILE = string({
  env: 'STRATA_CONFIG',
  values: 'file path',
  help: 'path of a JSON file with storage tiers, HSM policies and recall (see "Tiered storage (HSM)") and known remote DICOM nodes (see "DIMSE"). Its tiers replace `STORAGE_BACKEND`; relative `fs` roots resolve from the file\'s folder',
});

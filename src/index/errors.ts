import { ProjectError } from '../lib/errors.js';

/** Index errors: stable codes; HTTP mapping lives only in web/problem.ts. */

/**
 * How long a client should wait before retrying while the index is unreachable (RFC 9110
 * 10.2.3 Retry-After). Short and fixed: outages we can tell apart from bad queries are restarts,
 * fail-overs and network blips, which last seconds; we cannot know better, and a long hint
 * would keep well-behaved clients away after the database is back.
 */
export const INDEX_RETRY_AFTER_SECONDS = 5;

/** The database cannot be reached or refuses work for now; retrying later may succeed. */
export class IndexUnavailableError extends ProjectError {
  override readonly name = 'IndexUnavailableError';
  readonly code = 'index.unavailable';
  readonly retryAfterSeconds = INDEX_RETRY_AFTER_SECONDS;
  constructor(options?: ErrorOptions, message = 'the index database is unavailable') {
    super(message, options);
  }
}

/**
 * The embedded PGlite index cannot run because the filesystem of its data directory is full:
 * PostgreSQL needs room for its lock file, WAL and relation files even to start. Free space (or
 * move `dataDir`) and start again. `dataDir` is a server path, never request data.
 */
export class IndexDiskFullError extends ProjectError {
  override readonly name = 'IndexDiskFullError';
  readonly code = 'index.disk_full';
  constructor(
    readonly dataDir: string,
    options?: ErrorOptions,
  ) {
    super(`the disk of the index data directory ${dataDir} is full`, options);
  }
}

/**
 * The embedded PGlite index aborted: its WebAssembly instance stopped (Emscripten's `abort()`,
 * a `WebAssembly.RuntimeError` "Aborted(...)"), and every later statement would fail or hang.
 * Not recoverable in this process; PGlite replays its WAL when the next process opens the
 * directory, so the process stops and is restarted (cli/serve.ts).
 */
export class IndexAbortedError extends ProjectError {
  override readonly name = 'IndexAbortedError';
  readonly code = 'index.aborted';
  constructor(options?: ErrorOptions) {
    super('the embedded index database aborted', options);
  }
}

/**
 * A trap of a WebAssembly instance (`WebAssembly.RuntimeError`: Emscripten's `abort()`, an
 * unreachable, an out-of-bounds access): the instance cannot be used after it. Told by name,
 * as the global's class is not in our TypeScript lib.
 */
export function isWasmTrap(error: unknown): error is Error {
  return error instanceof Error && error.name === 'RuntimeError';
}

/**
 * The database answered and refused us: authentication failed (SQLSTATE class 28) or the
 * database does not exist (3D000). Waiting does not fix that; the configuration must change.
 */
export class IndexRefusedError extends ProjectError {
  override readonly name = 'IndexRefusedError';
  readonly code = 'index.refused';
  constructor(sqlState: string, options?: ErrorOptions) {
    const what = sqlState === '3D000' ? 'the database does not exist' : 'authentication failed';
    super(`the database refused the connection: ${what} (SQLSTATE ${sqlState})`, options);
  }
}

/** The refusal (auth, unknown database) anywhere in the cause chain, as IndexRefusedError. */
export function refusedCause(error: unknown): IndexRefusedError | undefined {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && (code === '3D000' || /^28[0-9A-Z]{3}$/.test(code))) {
      return new IndexRefusedError(code, { cause: e });
    }
    e = e.cause;
  }
  return undefined;
}

/**
 * Error codes that mean "the database is not there right now", as opposed to a bad query:
 * socket errors, postgres.js connection states, our socket watchdog's `QUERY_TIMEOUT`, and
 * SQLSTATE classes 08 (connection exception), 53 (insufficient resources), 57014
 * (query_canceled: statement_timeout) and 57P0x (operator intervention: shutdown, crash
 * recovery, not yet accepting connections).
 */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ENOTFOUND',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
  'QUERY_TIMEOUT',
  '57014',
]);

/** The driver error (anywhere in the cause chain) that marks an outage, if any. */
export function unavailableCause(error: unknown): Error | undefined {
  return causeWhere(error, (e) => isUnavailableCode((e as { code?: unknown }).code));
}

/** The first error of the cause chain (drizzle wraps the driver's) that `test` accepts. */
function causeWhere(error: unknown, test: (e: Error) => boolean): Error | undefined {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; depth++) {
    if (test(e)) return e;
    e = e.cause;
  }
  return undefined;
}

function isUnavailableCode(code: unknown): boolean {
  if (typeof code !== 'string') return false;
  return (
    UNAVAILABLE_CODES.has(code) ||
    code.startsWith('08') ||
    code.startsWith('53') ||
    /^57P0[1-3]$/.test(code)
  );
}

/**
 * Database outages as IndexUnavailableError, an abort of the embedded database as
 * IndexAbortedError; anything else unchanged. The cause kept is the
 * driver's own error, not drizzle's wrapper: drizzle's message holds the SQL parameters, which
 * are UIDs and must not reach the logs.
 */
export function toIndexError(error: unknown): unknown {
  if (error instanceof ProjectError) return error;
  const trap = causeWhere(error, isWasmTrap);
  if (trap) return new IndexAbortedError({ cause: trap });
  const cause = unavailableCause(error);
  return cause ? new IndexUnavailableError({ cause }) : error;
}

/** Index errors: stable codes; HTTP mapping lives only in web/problem.ts. */
export abstract class IndexError extends Error {
  abstract readonly code: string;
}

/** The database cannot be reached or refuses work for now; retrying later may succeed. */
export class IndexUnavailableError extends IndexError {
  override readonly name = 'IndexUnavailableError';
  readonly code = 'index.unavailable';
  constructor(options?: ErrorOptions) {
    super('the index database is unavailable', options);
  }
}

/**
 * The embedded PGlite index cannot run because the filesystem of its data directory is full:
 * PostgreSQL needs room for its lock file, WAL and relation files even to start. Free space (or
 * move `dataDir`) and start again. `dataDir` is a server path, never request data.
 */
export class IndexDiskFullError extends IndexError {
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
 * Error codes that mean "the database is not there right now", as opposed to a bad query:
 * socket errors, postgres.js connection states, and SQLSTATE classes 08 (connection exception),
 * 53 (insufficient resources) and 57P0x (operator intervention: shutdown, crash recovery).
 */
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
]);

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
 * Re-throws database outages as IndexUnavailableError (drizzle wraps driver errors, so the
 * cause chain is searched); anything else is re-thrown as it is.
 */
export function rethrowIndexError(error: unknown): never {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; depth++) {
    if (isUnavailableCode((e as { code?: unknown }).code)) {
      throw new IndexUnavailableError({ cause: error });
    }
    e = e.cause;
  }
  throw error;
}

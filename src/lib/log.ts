/**
 * A small structured logger: one JSON line per event on stderr. PHI-safe: callers pass server
 * keys, request ids, counts and error codes — never UIDs, names or attribute values — and every
 * Error is reduced to its class, string `code` and stack frames (see `safeError`).
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };

export function createLogger(
  level: LogLevel,
  write: (line: string) => void = (line) => process.stderr.write(line + '\n'),
): Logger {
  const at =
    (lineLevel: Exclude<LogLevel, 'silent'>) =>
    (message: string, fields: Record<string, unknown> = {}) => {
      if (rank[lineLevel] < rank[level]) return;
      const entry: Record<string, unknown> = { time: new Date().toISOString(), level: lineLevel };
      entry['msg'] = message;
      for (const [key, value] of Object.entries(fields)) {
        // `error` holds whatever a catch caught (a string can be thrown too): always reduced.
        entry[key] = value instanceof Error || key === 'error' ? safeError(value) : value;
      }
      write(JSON.stringify(entry));
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** What a log line may say about an error: nothing of its message, which can carry data. */
export interface SafeError {
  name: string;
  /** Ours (`index.unavailable`), Node's (`ENOSPC`), or a driver's SQLSTATE (`23505`). */
  code?: string;
  /** Stack frames only (the message line is dropped); frames point at code, not at data. */
  stack?: string;
  cause?: SafeError | { thrown: string };
  /** AggregateError members (a connect error per address), at most 5. */
  errors?: (SafeError | { thrown: string })[];
}

const MAX_FRAMES = 5;
const MAX_DEPTH = 5;

/**
 * Reduces an error and its cause chain to class name, string `code` and stack frames. Messages
 * are dropped, ours included: drizzle's DrizzleQueryError message is the SQL with its
 * parameters, PostgreSQL's messages quote values ("invalid input syntax for type date: …"),
 * and even this project's PHI-free-by-convention messages are a convention, not a guarantee
 * (a render parameter echoed back). The client's problem+json carries our message; the log
 * carries the code, which names the error as precisely.
 */
export function safeError(error: unknown, depth = 0): SafeError | { thrown: string } {
  if (!(error instanceof Error)) return { thrown: error === null ? 'null' : typeof error };
  const code = (error as { code?: unknown }).code;
  const safe: SafeError = { name: typeof error.name === 'string' ? error.name : 'Error' };
  if (typeof code === 'string') safe.code = code;
  const stack = framesOf(error);
  if (stack) safe.stack = stack;
  if (depth < MAX_DEPTH && error.cause !== undefined)
    safe.cause = safeError(error.cause, depth + 1);
  if (depth < MAX_DEPTH && error instanceof AggregateError && Array.isArray(error.errors)) {
    safe.errors = error.errors.slice(0, 5).map((e: unknown) => safeError(e, depth + 1));
  }
  return safe;
}

/**
 * V8's stack is `${name}: ${message}` (as many lines as the message had when the error was
 * made) followed by "    at …" frames. Skip the header by its line count, then keep only frame
 * lines, so a message that changed later or holds newlines cannot slip through.
 */
function framesOf(error: Error): string | undefined {
  if (typeof error.stack !== 'string') return undefined;
  const headerLines = typeof error.message === 'string' ? error.message.split('\n').length : 1;
  const frames = error.stack
    .split('\n')
    .slice(headerLines)
    .filter((line) => /^ {4}at /.test(line))
    .slice(0, MAX_FRAMES);
  return frames.length > 0 ? frames.join('\n') : undefined;
}

/**
 * A small structured logger: one JSON line per event on stderr. PHI-safe by convention: callers
 * pass server keys, request ids, counts and error codes — never UIDs, names or attribute values
 * (errors of this project carry PHI-free messages; foreign errors are reduced to name and code).
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
      for (const [key, value] of Object.entries(fields)) entry[key] = safeValue(value);
      write(JSON.stringify(entry));
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

function safeValue(value: unknown): unknown {
  if (!(value instanceof Error)) return value;
  const code = (value as { code?: unknown }).code;
  return {
    name: value.name,
    ...(typeof code === 'string' ? { code } : {}),
    message: value.message,
    // Stacks point at our code, not at data; keep them for 500s.
    stack: value.stack?.split('\n').slice(1, 6).join('\n'),
    ...(value.cause !== undefined ? { cause: safeValue(value.cause) } : {}),
  };
}

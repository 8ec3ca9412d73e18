import type { Logger } from './log.js';

/**
 * Makes every line a serving process writes a JSON log line, PHI-free:
 * - `uncaughtException` / `unhandledRejection`: one line, then exit 1 — Node's own behaviour
 *   (the process state is unknown after either), minus the plain-text stack and message;
 * - Node `warning` events (deprecations, listener leaks): one line with name and code, in place
 *   of Node's "(node:…) Warning: …" printer;
 * - console output of dependencies (@hono/node-server prints response-stream errors with
 *   console.error, postgres.js unknown messages with console.log): one line with the method
 *   and any Error reduced by the logger; text arguments are dropped, they may quote data.
 * Returns a function that restores what it replaced (tests).
 */
export function installProcessLog(
  log: Logger,
  {
    fatal = log,
    report = (label, error) => {
      fatal.error(label, { error });
      return 1;
    },
    exit = (code) => process.exit(code),
  }: {
    /** Where the line of an error that stops the process goes (written whatever the level). */
    fatal?: Logger;
    /**
     * Writes the line of an error that stops the process and returns the exit code; the default
     * writes `label` and the error to `fatal` and returns 1. A caller that can say more of a
     * cause (a full disk) passes its own.
     */
    report?: (label: string, error: unknown) => number;
    exit?: (code: number) => void;
  } = {},
): () => void {
  const onUncaught = (error: Error) => exit(report('uncaught exception', error));
  const onRejection = (reason: unknown) => exit(report('unhandled rejection', reason));
  const onWarning = (warning: Error) => log.warn('node warning', { error: warning });
  // Node's default printer is a 'warning' listener (absent under --no-warnings).
  const nodePrinters = process.listeners('warning');
  for (const printer of nodePrinters) process.off('warning', printer);
  process.on('uncaughtException', onUncaught);
  process.on('unhandledRejection', onRejection);
  process.on('warning', onWarning);

  const methods = ['error', 'warn', 'info', 'log', 'debug'] as const;
  const originals = methods.map(
    (method) => [method, Object.getOwnPropertyDescriptor(console, method)] as const,
  );
  for (const method of methods) {
    console[method] = (...args: unknown[]) => {
      const error = args.find((a) => a instanceof Error);
      const level = method === 'error' ? 'error' : method === 'warn' ? 'warn' : 'debug';
      log[level]('console output', { method, ...(error ? { error } : {}) });
    };
  }
  return () => {
    process.off('uncaughtException', onUncaught);
    process.off('unhandledRejection', onRejection);
    process.off('warning', onWarning);
    for (const printer of nodePrinters) process.on('warning', printer);
    for (const [method, original] of originals) {
      if (original) Object.defineProperty(console, method, original);
    }
  };
}

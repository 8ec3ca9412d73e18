/**
 * A test-only process entry: `strata` as src/main.ts runs it, with the embedded PGlite made to
 * abort (a real `WebAssembly.RuntimeError` "Aborted()", raised by PGlite's own Emscripten
 * `abort`) on the first statement run after the file named by STRATA_TEST_ABORT_MARKER appears.
 * Tests the path from an aborted index to the fatal line and the exit (src/cli/serve.ts).
 */
import { existsSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { runCli } from '../../src/cli/cli.js';

const marker = process.env['STRATA_TEST_ABORT_MARKER'];
if (!marker) throw new Error('STRATA_TEST_ABORT_MARKER names the file that triggers the abort');

type Exec = (this: PGlite, ...args: unknown[]) => unknown;
const proto = PGlite.prototype as unknown as Record<string, Exec>;
for (const name of ['execProtocol', 'execProtocolStream', 'execProtocolRaw']) {
  const original = proto[name];
  if (typeof original !== 'function') continue;
  proto[name] = function (this: PGlite, ...args: unknown[]) {
    if (existsSync(marker)) (this as unknown as { mod: { _abort(): never } }).mod._abort();
    return original.apply(this, args);
  };
}

runCli(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error('strata (abort-entry): fatal:', error instanceof Error ? error.message : error);
    process.exit(1);
  },
);

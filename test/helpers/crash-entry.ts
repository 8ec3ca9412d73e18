/**
 * A test-only process entry: `strata` as src/main.ts runs it, plus a fault hook that kills the
 * process (SIGKILL: no cleanup, like a power cut) when the write path or an HSM move reaches
 * the point named by STRATA_TEST_CRASH_AT. The production entry has no such hook.
 */
import { runCli } from '../../src/cli/cli.js';

const point = process.env['STRATA_TEST_CRASH_AT'];
const fault = point
  ? (reached: string): void => {
      if (reached === point) process.kill(process.pid, 'SIGKILL');
    }
  : undefined;

runCli(process.argv.slice(2), fault ? { fault } : {}).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error('strata (crash-entry): fatal:', error instanceof Error ? error.message : error);
    process.exit(1);
  },
);

import type { Config } from '../config/config.js';
import { startStrata, type ComposeOverrides } from '../compose.js';
import { createLogger } from '../lib/log.js';
import { installProcessLog } from '../lib/process-log.js';
import {
  explainIndexAbort,
  fatalLog,
  INDEX_DISK_FULL_MESSAGE,
  logFatal,
  type IndexDisk,
} from './fatal.js';
import { startIndexStallWatchdog } from './index-stall-watchdog.js';

/**
 * How long the event loop may be blocked, with the index disk full, before the process is
 * stopped (cli/index-stall-watchdog.ts). Nothing in a healthy server blocks it for seconds
 * (decoding and rendering run on worker threads), and a restart costs a few seconds.
 */
const INDEX_STALL_MS = 15_000;

/** How long an aborted index's process lets in-flight answers go out before it exits. */
const ABORT_EXIT_DELAY_MS = 200;

/**
 * `strata serve`: runs until SIGINT/SIGTERM, then closes cleanly. From the start every line the
 * process writes is a JSON log line (uncaught errors, Node warnings, dependencies' console).
 */
export async function serveCommand(
  config: Config,
  overrides: ComposeOverrides = {},
): Promise<number> {
  const log = createLogger(config.logLevel);
  // Known once the index is open: an abort of the embedded index escaping as an uncaught error
  // is then put down to a full disk when its directory has no room (cli/fatal.ts).
  const index: { disk?: IndexDisk | undefined } = {};
  let aborted = false;
  installProcessLog(log, {
    report: (label, error) => logFatal(fatalLog(), explainIndexAbort(error, index.disk), label),
  });
  const strata = await startStrata(config, {
    ...overrides,
    log,
    command: 'strata serve',
    // Nothing later would work (index/errors.ts): one line, then the exit, a moment later so
    // that the requests which met the abort get their 503.
    onIndexAborted: (error) => {
      if (aborted) return;
      aborted = true;
      const code = logFatal(fatalLog(), explainIndexAbort(error, index.disk), 'index aborted');
      setTimeout(() => process.exit(code), ABORT_EXIT_DELAY_MS);
    },
  });
  index.disk = strata.indexDisk;
  // Watches the shutdown too: closing PGlite writes its last checkpoint.
  const stopWatchdog = strata.indexDisk
    ? startIndexStallWatchdog({
        ...strata.indexDisk,
        stallMs: INDEX_STALL_MS,
        message: INDEX_DISK_FULL_MESSAGE,
      })
    : undefined;
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  strata.log.info('shutting down');
  await strata.close();
  await stopWatchdog?.();
  return 0;
}

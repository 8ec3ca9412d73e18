import type { Config } from '../config/config.js';
import { startStrata, type ComposeOverrides } from '../compose.js';
import { createLogger } from '../lib/log.js';
import { installProcessLog } from '../lib/process-log.js';
import { fatalLog, INDEX_DISK_FULL_MESSAGE } from './fatal.js';
import { startIndexStallWatchdog } from './index-stall-watchdog.js';

/**
 * How long the event loop may be blocked, with the index disk full, before the process is
 * stopped (cli/index-stall-watchdog.ts). Nothing in a healthy server blocks it for seconds
 * (decoding and rendering run on worker threads), and a restart costs a few seconds.
 */
const INDEX_STALL_MS = 15_000;

/**
 * `strata serve`: runs until SIGINT/SIGTERM, then closes cleanly. From the start every line the
 * process writes is a JSON log line (uncaught errors, Node warnings, dependencies' console).
 */
export async function serveCommand(
  config: Config,
  overrides: ComposeOverrides = {},
): Promise<number> {
  const log = createLogger(config.logLevel);
  installProcessLog(log, { fatal: fatalLog() });
  const strata = await startStrata(config, { ...overrides, log, command: 'strata serve' });
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

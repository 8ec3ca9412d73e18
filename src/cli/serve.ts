import type { Config } from '../config.js';
import { startStrata, type ComposeOverrides } from '../compose.js';
import { createLogger } from '../lib/log.js';
import { installProcessLog } from '../lib/process-log.js';
import { fatalLog } from './fatal.js';

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
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  strata.log.info('shutting down');
  await strata.close();
  return 0;
}

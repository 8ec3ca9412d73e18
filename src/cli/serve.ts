import type { Config } from '../config.js';
import { startStrata, type ComposeOverrides } from '../compose.js';

/** `strata serve`: runs until SIGINT/SIGTERM, then closes cleanly. */
export async function serveCommand(
  config: Config,
  overrides: ComposeOverrides = {},
): Promise<number> {
  const strata = await startStrata(config, overrides);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  strata.log.info('shutting down');
  await strata.close();
  return 0;
}

import type { Config } from '../config/config.js';
import { migrateIndex } from '../compose.js';

/** `strata migrate`: applies pending migrations to the configured index and exits. */
export async function migrateCommand(config: Config): Promise<number> {
  const driver = await migrateIndex(config, { command: 'strata migrate' });
  console.log(`strata: index migrations applied (${driver})`);
  return 0;
}

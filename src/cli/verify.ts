import type { Config } from '../config/config.js';
import { ConfigError } from '../config/errors.js';
import { openStrata, type ComposeOverrides } from '../compose.js';

export const VERIFY_USAGE = `Usage: strata verify [--no-checksums] [--remove-orphans] [--concurrency N]

  Checks every instance's blob in its recorded tier (exists, size, SHA-256) and every tier for
  orphan blobs no instance or journal row references. Prints counts and problems (JSON);
  exits 0 when all is well, 1 when anything is missing, damaged, orphaned or unchecked.

  --no-checksums     existence and size only (fast; no blob is read)
  --remove-orphans   delete orphan blobs (only orphans; referenced blobs are never touched)
  --concurrency N    blobs checked at once (default 8)`;

export async function verifyCommand(config: Config, args: string[]): Promise<number> {
  const options = { checksums: true, removeOrphans: false, concurrency: 8 };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--no-checksums') options.checksums = false;
    else if (arg === '--remove-orphans') options.removeOrphans = true;
    else if (arg === '--concurrency' && /^\d+$/.test(args[i + 1] ?? '')) {
      options.concurrency = Math.min(Math.max(Number(args[++i]), 1), 256);
    } else {
      console.error(`strata verify: unknown option "${arg}"\n\n${VERIFY_USAGE}`);
      return 2;
    }
  }
  const strata = await openConfigured(config, { command: ['strata verify', ...args].join(' ') });
  if (!strata) return 2;
  try {
    const report = await strata.services.maintenance.verify.run(options);
    console.log(JSON.stringify(report, null, 2));
    return report.ok ? 0 : 1;
  } finally {
    await strata.close();
  }
}

/**
 * Opens index and tiers; a setting found wrong only now (a start-up probe, a tier missing from
 * the configuration) exits 2 like any configuration error, so scripts can tell it from exit 1
 * (problems found).
 */
export async function openConfigured(config: Config, overrides: ComposeOverrides = {}) {
  try {
    return await openStrata(config, overrides);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`strata: configuration error: ${error.message}`);
    return undefined;
  }
}

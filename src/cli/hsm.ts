import type { ComposeOverrides } from '../compose.js';
import type { Config } from '../config/config.js';
import { openConfigured } from './verify.js';

export const HSM_USAGE = `Usage: strata hsm <run|stats>

  run     run one migration cycle now (every policy, then recall) and print its report (JSON);
          exit 1 when any instance failed to move
  stats   print instances, bytes, studies, series and patients per tier, and cumulative
          migration totals (JSON)`;

/**
 * `strata hsm run` / `strata hsm stats`. Opens index and tiers like the server (without HTTP);
 * safe beside running servers on PostgreSQL (claims are row locks), while PGlite allows one
 * process: stop the server or use POST /admin/hsm/run instead.
 */
export async function hsmCommand(
  config: Config,
  args: string[],
  overrides: ComposeOverrides = {},
): Promise<number> {
  const [sub] = args;
  if (sub !== 'run' && sub !== 'stats') {
    console.error(HSM_USAGE);
    return 2;
  }
  const strata = await openConfigured(config, { ...overrides, command: `strata hsm ${sub}` });
  if (!strata) return 2;
  try {
    if (sub === 'run') {
      if (!config.hsm) console.error('strata: no STRATA_CONFIG: no policies to apply');
      const report = await strata.services.maintenance.hsm.runCycle('cli');
      console.log(JSON.stringify(report, null, 2));
      return report.failed > 0 ? 1 : 0;
    }
    const [tiers, totals] = [
      await strata.services.maintenance.hsm.statistics(),
      await strata.services.maintenance.hsm.totals(),
    ];
    console.log(JSON.stringify({ tiers, totals }, null, 2));
    return 0;
  } finally {
    await strata.close();
  }
}

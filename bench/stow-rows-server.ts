/** The server process of bench/stow-rows.ts: `strata serve` as src/main.ts runs it. */
import { runCli } from '../src/cli/cli.js';

runCli(['serve']).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error('bench server: fatal:', error);
    process.exit(1);
  },
);

import { runCli } from './cli/cli.js';

/** Process entry: the only module with side effects at import. */
runCli(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error('strata: fatal:', error instanceof Error ? error.message : error);
    process.exit(1);
  },
);

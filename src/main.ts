import { runCli } from './cli/cli.js';
import { fatalLog, logFatal } from './cli/fatal.js';

/** Process entry: the only module with side effects at import. */
runCli(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => process.exit(logFatal(fatalLog(), error)),
);

import type { ComposeOverrides } from '../compose.js';
import { loadConfig, type Config } from '../config/config.js';
import { ConfigError } from '../config/errors.js';
import { fatalLog, logFatal } from './fatal.js';
import { DirectoryLockedError } from '../lib/dir-lock.js';

const USAGE = `Usage: strata <command>

Commands:
  serve      start the DICOMweb server (applies pending migrations first)
  migrate    apply pending index migrations and exit
  hsm run    run one HSM migration cycle now and print its report
  hsm stats  print per-tier statistics and cumulative migration totals
  verify     check index against storage (--no-checksums, --remove-orphans)
  audit verify  check the audit trail's hash chain (exit 1 names the first broken record)
  audit search  print audit records (--patient-id, --study, --user, --event, --from, --to, --limit)
  import     store folders, zip files or files of DICOM (resumable, parallel; --url for a
             remote Strata): strata import --help
  export     write a study, series or query's instances to a folder or zip, optionally
             de-identified (PS3.15 Basic Profile): strata export --help
  keys       API keys for modalities, gateways and scripts: create, list, revoke
  send       send a study to a remote DICOM node: strata send <AE> <StudyInstanceUID>
  pull       migrate studies from a remote PACS: strata pull <AE> [--study UID] [--patient-id ID] [KEY=VALUE]
  users      built-in accounts: add, passwd, disable, enable, totp, list (strata users --help)

Configuration comes from environment variables; see README "Configuration".`;

/**
 * Runs one command; resolves to the process exit code. `overrides` reach the composition root
 * (src/main.ts passes none; the crash tests' entry passes a fault hook).
 */
export async function runCli(argv: string[], overrides: ComposeOverrides = {}): Promise<number> {
  const [command, ...args] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    console.log(USAGE);
    return command === undefined ? 2 : 0;
  }
  try {
    return await runCommand(command, args, loadConfig(), overrides);
  } catch (error) {
    // Start-up checks against the configured backends (a missing bucket, refused keys) are
    // configuration errors too, whichever command met them.
    if (!(error instanceof ConfigError || error instanceof DirectoryLockedError)) throw error;
    // A server writes nothing but JSON lines (its log); the other commands talk to a person.
    if (command === 'serve') return logFatal(fatalLog(), error);
    // Another process holding the embedded index (PGlite is single-process) exits 2 like a
    // setting, before anything was touched.
    console.error(
      error instanceof ConfigError
        ? `strata: configuration error: ${error.message}`
        : `strata: ${error.message}`,
    );
    return 2;
  }
}

/**
 * Each command's module is loaded when it runs: `serve` does not carry what only `import`,
 * `export`, `send` or `pull` use (zip libraries, the DICOM network library), in memory or in
 * start-up time.
 */
async function runCommand(
  command: string,
  args: string[],
  config: Config,
  overrides: ComposeOverrides,
): Promise<number> {
  switch (command) {
    case 'serve':
      return (await import('./serve.js')).serveCommand(config, overrides);
    case 'migrate':
      return (await import('./migrate.js')).migrateCommand(config);
    case 'hsm':
      return (await import('./hsm.js')).hsmCommand(config, args, overrides);
    case 'verify':
      return (await import('./verify.js')).verifyCommand(config, args);
    case 'audit':
      return (await import('./audit.js')).auditCommand(config, args, overrides);
    case 'keys':
      return (await import('./keys.js')).keysCommand(config, args);
    case 'import':
      return (await import('./import.js')).importCommand(config, args, overrides);
    case 'export':
      return (await import('./export.js')).exportCommand(config, args, overrides);
    case 'pull':
      return (await import('./pull.js')).pullCommand(config, args);
    case 'send':
      return (await import('./send.js')).sendCommand(config, args);
    case 'users':
      return (await import('./users.js')).usersCommand(config, args, overrides);
    default:
      console.error(`strata: unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}

import type { AccountService } from '../auth/accounts.js';
import { InvalidAuthRequestError } from '../auth/errors.js';
import type { TotpEnrollment } from '../auth/totp.js';
import type { ComposeOverrides } from '../compose.js';
import { openAccounts } from '../compose-auth.js';
import type { Config } from '../config/config.js';
import { isProjectError } from '../lib/errors.js';
import { openConfigured } from './verify.js';

export const USERS_USAGE = `Usage: strata users <command>

  add <name> --role R [--role R2] [--patient-id ID]... [--require-totp] [--password-stdin]
              create a built-in account; --require-totp enrolls a one-time code
              authenticator at once and prints its otpauth:// URI (shown only then)
  passwd <name> [--password-stdin]
              set a new password; the account's sessions and tokens end
  disable <name>, enable <name>
              refuse (or allow again) sign-in; a disabled account's tokens stop working
  totp <name> enroll a (new) authenticator: prints the otpauth:// URI and secret once;
              from then on sign-in needs a one-time code
  list        the accounts (JSON), without secrets

  The password is read from standard input with --password-stdin (one line), else asked for
  on the terminal without echo. It is never taken from the command line, where shell history
  and the process list would keep it. With the embedded index (no DATABASE_URL), stop the
  server first: PGlite allows one process.`;

/** Where the command reads passwords and writes its answers (tests pass their own). */
export interface UsersIo {
  /** The whole of standard input (for --password-stdin). */
  readStdin(): Promise<string>;
  /** A prompt on the terminal without echo; undefined when there is no terminal. */
  promptHidden?: ((prompt: string) => Promise<string>) | undefined;
  out(text: string): void;
  err(text: string): void;
}

interface UsersArgs {
  sub: 'add' | 'passwd' | 'disable' | 'enable' | 'totp' | 'list';
  name: string | undefined;
  roles: string[];
  patientIds: string[];
  requireTotp: boolean;
  passwordStdin: boolean;
}

const SUBCOMMANDS = ['add', 'passwd', 'disable', 'enable', 'totp', 'list'] as const;

/** `strata users …`: exit 0 done, 1 refused (unknown name, weak password…), 2 usage. */
export async function usersCommand(
  config: Config,
  args: string[],
  overrides: ComposeOverrides = {},
  io: UsersIo = processIo(),
): Promise<number> {
  if (args[0] === '--help' || args[0] === '-h' || args[0] === 'help') {
    io.out(USERS_USAGE + '\n');
    return 0;
  }
  const parsed = parseUsersArgs(args);
  if (typeof parsed === 'string') {
    io.err(`strata users: ${parsed}\n\n${USERS_USAGE}\n`);
    return 2;
  }
  const strata = await openConfigured(config, {
    ...overrides,
    command: `strata users ${parsed.sub}`,
  });
  if (!strata) return 2;
  try {
    if (parsed.sub === 'add' && !config.auth.methods.includes('account')) {
      io.err(
        'strata users: note: AUTH_METHODS does not include "account": these accounts cannot sign in until it does\n',
      );
    }
    return await runUsers(openAccounts(config, strata.database).accounts, parsed, io);
  } finally {
    await strata.close();
  }
}

export function parseUsersArgs(args: string[]): UsersArgs | string {
  const [sub, ...rest] = args;
  if (!(SUBCOMMANDS as readonly (string | undefined)[]).includes(sub)) {
    return sub === undefined ? 'a command is needed' : `unknown command "${sub}"`;
  }
  const parsed: UsersArgs = {
    sub: sub as UsersArgs['sub'],
    name: undefined,
    roles: [],
    patientIds: [],
    requireTotp: false,
    passwordStdin: false,
  };
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    const value = () => {
      const next = rest[++i];
      if (next === undefined || next.startsWith('--')) throw new UsageError(`${arg} needs a value`);
      return next;
    };
    try {
      if (arg === '--role' && parsed.sub === 'add') parsed.roles.push(value());
      else if (arg === '--patient-id' && parsed.sub === 'add') parsed.patientIds.push(value());
      else if (arg === '--require-totp' && parsed.sub === 'add') parsed.requireTotp = true;
      else if (arg === '--password-stdin' && (parsed.sub === 'add' || parsed.sub === 'passwd')) {
        parsed.passwordStdin = true;
      } else if (arg === '--password' || arg.startsWith('--password=')) {
        return 'passwords are never taken from the command line (shell history, process list): use --password-stdin or the prompt';
      } else if (!arg.startsWith('--') && parsed.name === undefined && parsed.sub !== 'list') {
        parsed.name = arg;
      } else return `unexpected "${arg}"`;
    } catch (error) {
      if (error instanceof UsageError) return error.message;
      throw error;
    }
  }
  if (parsed.sub !== 'list' && parsed.name === undefined) return `${parsed.sub} needs a user name`;
  if (parsed.sub === 'add' && parsed.roles.length === 0) return 'add needs at least one --role';
  return parsed;
}

/** Runs a parsed command against the account service. */
export async function runUsers(
  accounts: AccountService,
  args: UsersArgs,
  io: UsersIo,
): Promise<number> {
  const name = args.name ?? '';
  try {
    switch (args.sub) {
      case 'add': {
        const password = await readPassword(args, io);
        const { totp } = await accounts.add({
          username: name,
          password,
          roles: args.roles,
          patientIds: args.patientIds,
          totpRequired: args.requireTotp,
        });
        io.out(`account "${name.toLowerCase()}" added\n`);
        if (totp) printEnrollment(totp, io);
        return 0;
      }
      case 'passwd':
        await accounts.passwd(name, await readPassword(args, io));
        io.out(`password of "${name}" changed; its sessions were ended\n`);
        return 0;
      case 'disable':
        await accounts.disable(name);
        io.out(`account "${name}" disabled\n`);
        return 0;
      case 'enable':
        await accounts.enable(name);
        io.out(`account "${name}" enabled\n`);
        return 0;
      case 'totp':
        printEnrollment(await accounts.enrollTotp(name), io);
        return 0;
      case 'list':
        io.out(JSON.stringify(await accounts.list(), null, 2) + '\n');
        return 0;
    }
  } catch (error) {
    // The service's refusals (unknown name, weak password, unknown role) are for the operator.
    if (!isProjectError(error) || !error.code.startsWith('auth.')) throw error;
    io.err(`strata users: ${error.message}\n`);
    return 1;
  }
}

function printEnrollment(totp: TotpEnrollment, io: UsersIo): void {
  io.out(
    [
      'Authenticator enrollment (shown only now; sign-in needs a one-time code from here on):',
      `  URI:    ${totp.uri}`,
      `  secret: ${totp.secret}`,
      'Turn the URI into a QR code for the app (e.g. `qrencode -t ansiutf8 "<URI>"`), or type the secret into it.',
      '',
    ].join('\n'),
  );
}

async function readPassword(args: UsersArgs, io: UsersIo): Promise<string> {
  if (args.passwordStdin) {
    // One line: the trailing newline of `echo` or a file is not part of the password.
    return (await io.readStdin()).replace(/\r?\n$/, '');
  }
  if (!io.promptHidden) {
    throw new InvalidAuthRequestError(
      'no terminal to ask for the password on: pipe it in with --password-stdin',
    );
  }
  const first = await io.promptHidden('Password: ');
  const second = await io.promptHidden('Again: ');
  if (first !== second) throw new InvalidAuthRequestError('the two passwords differ');
  return first;
}

class UsageError extends Error {}

function processIo(): UsersIo {
  return {
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    },
    promptHidden: process.stdin.isTTY ? promptHidden : undefined,
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
  };
}

/** Reads one line from the terminal in raw mode, echoing nothing. Ctrl-C / Ctrl-D cancel. */
function promptHidden(prompt: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(prompt);
  stdin.setRawMode(true);
  stdin.setEncoding('utf8');
  stdin.resume();
  return new Promise((resolve, reject) => {
    let value = '';
    const finish = () => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') {
          finish();
          resolve(value);
          return;
        }
        if (ch === '\u0003' || ch === '\u0004') {
          finish();
          reject(new InvalidAuthRequestError('cancelled'));
          return;
        }
        if (ch === '\u007f' || ch === '\b') value = [...value].slice(0, -1).join('');
        else value += ch;
      }
    };
    stdin.on('data', onData);
  });
}

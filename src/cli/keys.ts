import type { ApiKeyInfo, ApiKeys } from '../auth/api-keys.js';
import { InvalidAuthRequestError } from '../auth/errors.js';
import { apiKeysOf } from '../compose-auth.js';
import { openMigratedIndex } from '../compose.js';
import type { Config } from '../config/config.js';
import { createLogger } from '../lib/log.js';

export const KEYS_USAGE = `Usage: strata keys <create|list|revoke>

  create --name NAME --role ROLE [--patient-id ID ...]
          make an API key for a modality, gateway or script. Prints the key on stdout, once:
          only its hash is stored, so it cannot be shown again. ROLE is reader, uploader
          (STOW only), writer, editor, admin, or a role of AUTH_ROLE_MAP; --patient-id limits
          the key to those patients' studies
  list [--json]
          name, role, prefix, created, last used and revoked of every key (--json: one JSON
          object per line); never the key itself
  revoke NAME|ID
          revoke the live key with that name or id; exit 1 when there is none. Servers stop
          accepting it within AUTH_API_KEY_CACHE_SECONDS

  Opens the index like the server: with embedded PGlite (no DATABASE_URL) stop the server
  first (one process at a time, exit 2 otherwise); with PostgreSQL it runs beside servers.`;

type Run = (keys: ApiKeys, config: Config) => Promise<number>;

/** `strata keys …`: manages API keys in the index. */
export async function keysCommand(config: Config, args: string[]): Promise<number> {
  if (args[0] === '--help' || args[0] === '-h' || args[0] === 'help') {
    console.log(KEYS_USAGE);
    return 0;
  }
  const run = parse(args);
  if (typeof run === 'string') {
    console.error(`strata keys: ${run}\n\n${KEYS_USAGE}`);
    return 2;
  }
  const log = createLogger(config.logLevel);
  const database = await openMigratedIndex(
    config,
    log,
    ['strata keys', ...args.slice(0, 1)].join(' '),
    undefined,
  );
  try {
    return await run(apiKeysOf(config, database.db, log), config);
  } catch (error) {
    if (!(error instanceof InvalidAuthRequestError)) throw error;
    console.error(`strata keys: ${error.message}`);
    return 1;
  } finally {
    await database.close();
  }
}

/** The command to run, or what is wrong with the arguments. */
function parse(args: string[]): Run | string {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'create':
      return parseCreate(rest);
    case 'list':
      if (rest.some((a) => a !== '--json')) return `unknown option "${rest.join(' ')}"`;
      return (keys) => list(keys, rest.includes('--json'));
    case 'revoke': {
      const [target, ...extra] = rest;
      if (target === undefined || target.startsWith('-') || extra.length > 0)
        return 'revoke takes one key name or id';
      return (keys) => revoke(keys, target);
    }
    case undefined:
      return 'which subcommand?';
    default:
      return `unknown subcommand "${sub}"`;
  }
}

function parseCreate(args: string[]): Run | string {
  let name: string | undefined;
  let role: string | undefined;
  const patientIds: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const option = args[i];
    const value = args[i + 1];
    if (value === undefined || !['--name', '--role', '--patient-id'].includes(option!)) {
      return `unknown option or missing value "${option}"`;
    }
    i++;
    if (option === '--name') name = value;
    else if (option === '--role') role = value;
    else patientIds.push(value);
  }
  if (name === undefined || role === undefined) return 'create needs --name and --role';
  return async (keys, config) => {
    const created = await keys.create({
      name,
      role,
      patientIds: patientIds.length > 0 ? patientIds : undefined,
    });
    // stdout holds the key alone, so `KEY=$(strata keys create …)` captures exactly it.
    console.log(created.key);
    console.error(
      `strata keys: created "${created.name}" (${created.role}, id ${created.id}). Store the key now: it will not be shown again.`,
    );
    if (!config.auth.methods.includes('api-key')) {
      console.error(
        'strata keys: AUTH_METHODS does not include api-key: servers refuse API keys until it does.',
      );
    }
    return 0;
  };
}

async function list(keys: ApiKeys, json: boolean): Promise<number> {
  const all = await keys.list();
  if (json) {
    // Absent values are null, so every line has the same fields.
    for (const key of all) {
      console.log(
        JSON.stringify({
          ...key,
          patientIds: key.patientIds ?? null,
          lastUsedAt: key.lastUsedAt ?? null,
          revokedAt: key.revokedAt ?? null,
        }),
      );
    }
    return 0;
  }
  const header = ['NAME', 'ROLE', 'PREFIX', 'CREATED', 'LAST USED', 'REVOKED', 'ID'];
  const rows = all.map((k) => [
    k.name,
    k.role + (k.patientIds ? ` (${plural(k.patientIds.length, 'patient')})` : ''),
    k.prefix + '…',
    when(k.createdAt),
    when(k.lastUsedAt),
    when(k.revokedAt),
    k.id,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  for (const row of [header, ...rows]) {
    console.log(
      row
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    );
  }
  return 0;
}

async function revoke(keys: ApiKeys, target: string): Promise<number> {
  const revoked: ApiKeyInfo[] = await keys.revoke(target);
  if (revoked.length === 0) {
    console.error(`strata keys: no live key named or with id "${target}"`);
    return 1;
  }
  for (const key of revoked) console.log(`revoked "${key.name}" (id ${key.id})`);
  return 0;
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function when(at: Date | undefined): string {
  return at ? at.toISOString().slice(0, 19).replace('T', ' ') + 'Z' : '-';
}

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccountService } from '../auth/accounts.js';
import { LocalTokens } from '../auth/local-tokens.js';
import { DEFAULT_ROLES } from '../auth/roles.js';
import { openDb, type Database } from '../index/db.js';
import { migrateDb } from '../index/migrate.js';
import { parseUsersArgs, runUsers, type UsersIo } from './users.js';

let database: Database;
let accounts: AccountService;

beforeAll(async () => {
  database = await openDb({});
  await migrateDb(database);
  const tokens = new LocalTokens(database.db, {
    ttlSeconds: 900,
    refreshTtlSeconds: 3600,
    roleMap: DEFAULT_ROLES,
    clockToleranceSeconds: 0,
  });
  accounts = new AccountService(database.db, tokens, {
    maxFailures: 5,
    lockoutSeconds: 60,
    roleMap: DEFAULT_ROLES,
    totpIssuer: 'Strata',
    scrypt: { N: 1024, r: 8, p: 1 },
  });
});
afterAll(() => database.close());

function io(stdin = '', prompts: string[] = []): UsersIo & { stdout: string; stderr: string } {
  const result = {
    stdout: '',
    stderr: '',
    readStdin: () => Promise.resolve(stdin),
    promptHidden: prompts.length > 0 ? () => Promise.resolve(prompts.shift() ?? '') : undefined,
    out: (text: string) => void (result.stdout += text),
    err: (text: string) => void (result.stderr += text),
  };
  return result;
}

async function run(args: string[], terminal = io()) {
  const parsed = parseUsersArgs(args);
  if (typeof parsed === 'string') throw new Error(parsed);
  return { code: await runUsers(accounts, parsed, terminal), ...terminal };
}

describe('strata users', () => {
  it('never takes a password from the command line, and checks its arguments', () => {
    expect(parseUsersArgs(['add', 'amy', '--role', 'reader', '--password', 'x'])).toMatch(
      /never taken from the command line/,
    );
    expect(parseUsersArgs(['add', 'amy', '--password=secret'])).toMatch(/never taken/);
    expect(parseUsersArgs(['add', 'amy'])).toMatch(/at least one --role/);
    expect(parseUsersArgs(['add', 'amy', '--role'])).toMatch(/--role needs a value/);
    expect(parseUsersArgs(['disable'])).toMatch(/needs a user name/);
    expect(parseUsersArgs(['remove', 'amy'])).toMatch(/unknown command "remove"/);
    expect(parseUsersArgs(['list', 'amy'])).toMatch(/unexpected "amy"/);
  });

  it('adds from --password-stdin (one line), with roles and patient ids; list shows no secret', async () => {
    const added = await run(
      [
        'add',
        'amy',
        '--role',
        'reader',
        '--role',
        'uploader',
        '--patient-id',
        'P1',
        '--password-stdin',
      ],
      io('a long enough password\n'),
    );
    expect(added).toMatchObject({ code: 0, stdout: 'account "amy" added\n' });
    await accounts.signIn('amy', 'a long enough password');
    const listed = await run(['list']);
    const [amy] = JSON.parse(listed.stdout);
    expect(amy).toMatchObject({
      username: 'amy',
      roles: ['reader', 'uploader'],
      patientIds: ['P1'],
    });
    expect(listed.stdout).not.toMatch(/scrypt|password/i);
  });

  it('asks twice on the terminal and refuses when the two differ', async () => {
    const differ = await run(
      ['passwd', 'amy'],
      io('', ['first long password', 'other long password']),
    );
    expect(differ).toMatchObject({ code: 1, stderr: 'strata users: the two passwords differ\n' });
    const same = await run(
      ['passwd', 'amy'],
      io('', ['second long password', 'second long password']),
    );
    expect(same.code).toBe(0);
    await accounts.signIn('amy', 'second long password');
    const noTerminal = await run(['passwd', 'amy']);
    expect(noTerminal.stderr).toMatch(/--password-stdin/);
  });

  it('explains refusals with exit 1: short password, unknown account, unknown role', async () => {
    expect(
      (await run(['add', 'bo', '--role', 'reader', '--password-stdin'], io('short\n'))).stderr,
    ).toMatch(/at least 12 characters/);
    expect((await run(['disable', 'nobody'])).stderr).toMatch(/no account named "nobody"/);
    const role = await run(
      ['add', 'bo', '--role', 'god', '--password-stdin'],
      io('long enough passw'),
    );
    expect(role).toMatchObject({ code: 1 });
    expect(role.stderr).toMatch(/unknown role "god"/);
  });

  it('--require-totp and `totp` print the otpauth URI and secret once', async () => {
    const added = await run(
      ['add', 'cy', '--role', 'reader', '--require-totp', '--password-stdin'],
      io('a long enough password'),
    );
    expect(added.stdout).toMatch(/URI: {4}otpauth:\/\/totp\/Strata:cy\?secret=[A-Z2-7]+/);
    const again = await run(['totp', 'cy']);
    expect(again.stdout).toMatch(/secret: [A-Z2-7]{32}/);
    expect(
      JSON.parse((await run(['list'])).stdout).find((a: any) => a.username === 'cy').totp,
    ).toBe('required');
  });

  it('disable and enable', async () => {
    expect((await run(['disable', 'amy'])).code).toBe(0);
    await expect(accounts.signIn('amy', 'second long password')).rejects.toThrow();
    expect((await run(['enable', 'amy'])).code).toBe(0);
    await accounts.signIn('amy', 'second long password');
  });
});

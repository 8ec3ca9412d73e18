import { randomBytes } from 'node:crypto';
import type { Db } from '../index/db.js';
import {
  findAccountById,
  countSignInAttempt,
  findAccountByUsername,
  insertAccount,
  listAccounts,
  recordSignIn,
  setAccountDisabled,
  setTotpSecret,
  updatePasswordHash,
  type AccountRow,
} from '../index/accounts.repository.js';
import { systemClock, type Clock } from '../lib/clock.js';
import { createUlidFactory } from '../lib/ulid.js';
import { AccountLockedError, InvalidAuthRequestError, InvalidGrantError } from './errors.js';
import type { LocalTokens, TokenGrant } from './local-tokens.js';
import {
  assertPasswordAcceptable,
  DEFAULT_SCRYPT,
  hashPassword,
  needsRehash,
  verifyPassword,
  type ScryptParams,
} from './passwords.js';
import type { RoleMap } from './roles.js';
import { enrollTotp, verifyTotp, type TotpEnrollment } from './totp.js';

/**
 * Built-in accounts for sites without an identity provider: administration (`strata users`)
 * and sign-in (POST /auth/token). Lockout state lives in the index, so it holds whichever node
 * a client reaches. Sign-in failures all read the same (InvalidGrantError) whether the name is
 * unknown, the password wrong or the account disabled, and take the same time: one UPDATE
 * (which counts the attempt) and one scrypt each.
 */

export interface AccountServiceOptions {
  /** AUTH_LOCKOUT_FAILURES */
  maxFailures: number;
  /** AUTH_LOCKOUT_SECONDS */
  lockoutSeconds: number;
  roleMap: RoleMap;
  /** The issuer an authenticator app shows beside the code. */
  totpIssuer: string;
  /** Tests pass cheaper parameters; production uses the default. */
  scrypt?: ScryptParams;
}

export interface NewAccount {
  username: string;
  password: string;
  roles: readonly string[];
  /** Patient context (PatientID values); empty or undefined = no restriction. */
  patientIds?: readonly string[] | undefined;
  /** Sign-in needs a one-time code; the secret is enrolled at once and returned. */
  totpRequired?: boolean | undefined;
}

export interface AccountSummary {
  username: string;
  roles: string[];
  patientIds: string[] | null;
  totp: 'required' | 'enrolled' | 'off';
  disabled: boolean;
  lockedUntil: Date | null;
  lastLoginAt: Date | null;
  createdAt: Date;
}

/** A password grant and whose it is (the token endpoint records the sign-in with it). */
export interface SignedIn extends TokenGrant {
  account: { username: string; roles: readonly string[] };
}

/** Letters, digits and `. _ @ -`, starting with a letter or digit; compared in lower case. */
const USERNAME = /^[a-z0-9][a-z0-9._@-]{0,63}$/;

export const ONE_TIME_CODE_NEEDED =
  'a one-time code is needed: send the current code of the authenticator app in the "totp" field';

export class AccountService {
  private readonly ulid = createUlidFactory();
  private readonly scrypt: ScryptParams;
  private dummy: Promise<string> | undefined;

  constructor(
    private readonly db: Db,
    private readonly tokens: LocalTokens,
    private readonly options: AccountServiceOptions,
    private readonly clock: Clock = systemClock,
  ) {
    this.scrypt = options.scrypt ?? DEFAULT_SCRYPT;
  }

  /** Creates an account; with `totpRequired`, also its TOTP secret (shown once). */
  async add(account: NewAccount): Promise<{ totp?: TotpEnrollment }> {
    const username = usernameOf(account.username);
    this.assertRoles(account.roles);
    assertPasswordAcceptable(account.password);
    const enrollment = account.totpRequired
      ? enrollTotp(username, this.options.totpIssuer)
      : undefined;
    const inserted = await insertAccount(this.db, {
      id: this.ulid(),
      username,
      passwordHash: await hashPassword(account.password, this.scrypt),
      roles: [...account.roles],
      patientIds: account.patientIds?.length ? [...account.patientIds] : null,
      totpRequired: account.totpRequired ?? false,
      totpSecret: enrollment?.secret ?? null,
      createdAt: this.clock.now(),
    });
    if (!inserted) throw new InvalidAuthRequestError(`an account named "${username}" exists`);
    return enrollment ? { totp: enrollment } : {};
  }

  /** Sets a new password; the account's sessions and earlier access tokens end. */
  async passwd(username: string, password: string): Promise<void> {
    const account = await this.getOrThrow(username);
    assertPasswordAcceptable(password);
    const hash = await hashPassword(password, this.scrypt);
    await updatePasswordHash(this.db, account.id, hash, this.clock.now());
    await this.tokens.revokeSessions(account.id);
    this.tokens.forget(account.username);
  }

  /** No sign-in, no refresh; its access tokens stop working (cached status: seconds). */
  async disable(username: string): Promise<void> {
    const account = await this.getOrThrow(username);
    await setAccountDisabled(this.db, account.id, this.clock.now());
    await this.tokens.revokeSessions(account.id);
    this.tokens.forget(account.username);
  }

  async enable(username: string): Promise<void> {
    const account = await this.getOrThrow(username);
    await setAccountDisabled(this.db, account.id, null);
    this.tokens.forget(account.username);
  }

  /** A new TOTP secret (replacing any earlier one); from now on sign-in needs a code. */
  async enrollTotp(username: string): Promise<TotpEnrollment> {
    const account = await this.getOrThrow(username);
    const enrollment = enrollTotp(account.username, this.options.totpIssuer);
    await setTotpSecret(this.db, account.id, enrollment.secret);
    return enrollment;
  }

  async list(): Promise<AccountSummary[]> {
    return (await listAccounts(this.db)).map((row) => ({
      username: row.username,
      roles: row.roles,
      patientIds: row.patientIds,
      totp: row.totpRequired ? 'required' : row.totpSecret ? 'enrolled' : 'off',
      disabled: row.disabledAt !== null,
      lockedUntil: row.lockedUntil,
      lastLoginAt: row.lastLoginAt,
      createdAt: row.createdAt,
    }));
  }

  /**
   * RFC 6749 §4.3 (resource owner password credentials), with a one-time code when the account
   * has one. A locked account answers RateLimitedError even to the right password.
   */
  async signIn(username: string, password: string, totp?: string): Promise<SignedIn> {
    const now = this.clock.now();
    const name = username.toLowerCase();
    // Made before the look-up, so the first sign-in of an unknown name costs no extra hash.
    const dummy = await this.dummyHash();
    const account = await countSignInAttempt(this.db, name, now, {
      maxFailures: this.options.maxFailures,
      lockoutSeconds: this.options.lockoutSeconds,
    });
    if (account?.lockedUntil && account.lockedUntil > now) {
      const seconds = (account.lockedUntil.getTime() - now.getTime()) / 1000;
      throw new AccountLockedError(seconds);
    }
    const matches = await verifyPassword(password, account?.passwordHash ?? dummy);
    if (!account || !matches || account.disabledAt !== null) throw new InvalidGrantError();
    const step = await this.checkCode(account, totp, now);
    if (!(await recordSignIn(this.db, account.id, now, step))) {
      // Another request spent this code between the check and now.
      throw new InvalidGrantError(`the one-time code was already used; ${ONE_TIME_CODE_NEEDED}`);
    }
    if (needsRehash(account.passwordHash, this.scrypt)) {
      await updatePasswordHash(
        this.db,
        account.id,
        await hashPassword(password, this.scrypt),
        undefined,
      );
    }
    const grant = await this.tokens.grant(account);
    return { ...grant, account: { username: account.username, roles: account.roles } };
  }

  /** RFC 6749 §6: a new access token and refresh token for a refresh token (spent). */
  async refresh(refreshToken: string): Promise<TokenGrant> {
    const { accountId, sessionEnds } = await this.tokens.redeem(refreshToken);
    const account = await findAccountById(this.db, accountId);
    if (!account || account.disabledAt !== null) {
      throw new InvalidGrantError('the account is disabled');
    }
    return this.tokens.grant(account, sessionEnds);
  }

  /** The step of a valid code, undefined when the account needs none; else InvalidGrantError. */
  private async checkCode(
    account: AccountRow,
    code: string | undefined,
    now: Date,
  ): Promise<number | undefined> {
    if (!account.totpRequired && account.totpSecret === null) return undefined;
    if (account.totpSecret === null) {
      throw new InvalidGrantError(
        `this account needs a one-time code but has no authenticator enrolled; an administrator runs "strata users totp ${account.username}"`,
      );
    }
    // A prompt for the code; the attempt counts like any other until a sign-in succeeds.
    if (code === undefined || code === '') throw new InvalidGrantError(ONE_TIME_CODE_NEEDED);
    const step = await verifyTotp(account.totpSecret, code, now, account.totpLastStep ?? undefined);
    if (step === undefined) {
      throw new InvalidGrantError(
        `the one-time code is not valid or was already used; ${ONE_TIME_CODE_NEEDED}`,
      );
    }
    return step;
  }

  /** What an unknown name's password is checked against, with the same cost as a real one. */
  private dummyHash(): Promise<string> {
    this.dummy ??= hashPassword(randomBytes(16).toString('hex'), this.scrypt);
    return this.dummy;
  }

  private assertRoles(roles: readonly string[]): void {
    if (roles.length === 0) throw new InvalidAuthRequestError('an account needs at least one role');
    const unknown = roles.find((role) => !this.options.roleMap.has(role));
    if (unknown !== undefined) {
      throw new InvalidAuthRequestError(
        `unknown role "${unknown}" (${[...this.options.roleMap.keys()].join(', ')})`,
      );
    }
  }

  private async getOrThrow(username: string): Promise<AccountRow> {
    const account = await findAccountByUsername(this.db, username.toLowerCase());
    if (!account) throw new InvalidAuthRequestError(`no account named "${username}"`);
    return account;
  }
}

function usernameOf(username: string): string {
  const name = username.toLowerCase();
  if (!USERNAME.test(name)) {
    throw new InvalidAuthRequestError(
      'a user name has 1 to 64 letters, digits and . _ @ -, starting with a letter or digit',
    );
  }
  return name;
}

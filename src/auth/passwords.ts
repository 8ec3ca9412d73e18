import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { InvalidAuthRequestError } from './errors.js';

/**
 * Password hashing for built-in accounts: scrypt (RFC 7914), a memory-hard KDF built into
 * node:crypto. Argon2id would do as well, but every Node binding is a native addon; scrypt
 * needs no dependency and no build step. The stored string records the parameters, so raising
 * them later re-hashes each password at its owner's next sign-in (`needsRehash`):
 *
 *   scrypt$N=65536,r=8,p=1$<salt, base64>$<key, base64>
 */

export interface ScryptParams {
  /** CPU/memory cost, a power of two; memory used is 128 · N · r bytes. */
  N: number;
  r: number;
  p: number;
}

/**
 * N = 2^16, r = 8: 64 MiB and about 0.2 s per hash on one core. Above RFC 7914 §2's interactive
 * figure (2^14) and below OWASP's 2^17 (128 MiB), since hashes run on libuv's four worker
 * threads and a burst of sign-ins multiplies the memory.
 */
export const DEFAULT_SCRYPT: ScryptParams = { N: 65_536, r: 8, p: 1 };

/** NIST SP 800-63B §5.1.1.2 asks for at least 8; 12 without composition rules. */
export const MIN_PASSWORD_LENGTH = 12;
/** Longer inputs only cost hashing time; no passphrase needs more. */
export const MAX_PASSWORD_LENGTH = 1024;

const SALT_BYTES = 16;
const KEY_BYTES = 32;
const FORMAT = /^scrypt\$N=(\d+),r=(\d+),p=(\d+)\$([A-Za-z0-9+/]+=*)\$([A-Za-z0-9+/]+=*)$/;

/** Throws InvalidAuthRequestError, saying why, for a password that may not be set. */
export function assertPasswordAcceptable(password: string): void {
  const length = [...normalize(password)].length;
  if (length < MIN_PASSWORD_LENGTH) {
    throw new InvalidAuthRequestError(
      `a password needs at least ${MIN_PASSWORD_LENGTH} characters (this one has ${length}); a phrase of several words is easy to remember`,
    );
  }
  if (length > MAX_PASSWORD_LENGTH) {
    throw new InvalidAuthRequestError(
      `a password may have at most ${MAX_PASSWORD_LENGTH} characters`,
    );
  }
}

export async function hashPassword(
  password: string,
  params: ScryptParams = DEFAULT_SCRYPT,
): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(password, salt, KEY_BYTES, params);
  return `scrypt$N=${params.N},r=${params.r},p=${params.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/**
 * Whether `password` matches `stored`, compared in constant time. A stored string that does not
 * parse matches nothing (false, never a throw: it must not tell an attacker anything).
 */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parse(stored);
  if (parsed === undefined) return false;
  const key = await derive(password, parsed.salt, parsed.key.length, parsed.params);
  return timingSafeEqual(key, parsed.key);
}

/** True when `stored` was made with other parameters than `params` (or does not parse). */
export function needsRehash(stored: string, params: ScryptParams = DEFAULT_SCRYPT): boolean {
  const parsed = parse(stored);
  return (
    parsed === undefined ||
    parsed.params.N !== params.N ||
    parsed.params.r !== params.r ||
    parsed.params.p !== params.p ||
    parsed.key.length !== KEY_BYTES
  );
}

function parse(stored: string): { params: ScryptParams; salt: Buffer; key: Buffer } | undefined {
  const match = FORMAT.exec(stored);
  if (!match) return undefined;
  const params = { N: Number(match[1]), r: Number(match[2]), p: Number(match[3]) };
  const key = Buffer.from(match[5]!, 'base64');
  if (key.length < 16 || !Number.isSafeInteger(params.N) || params.N < 2) return undefined;
  return { params, salt: Buffer.from(match[4]!, 'base64'), key };
}

/**
 * NIST SP 800-63B §5.1.1.2: Unicode passwords are normalized (NFKC) before hashing, so the
 * same passphrase typed on another keyboard or system still matches.
 */
function normalize(password: string): string {
  return password.normalize('NFKC');
}

function derive(password: string, salt: Buffer, length: number, params: ScryptParams) {
  const options: ScryptOptions = {
    N: params.N,
    r: params.r,
    p: params.p,
    // Node refuses more than 32 MiB by default; the cost needs 128 · N · r (plus headroom).
    maxmem: 256 * params.N * params.r,
  };
  return new Promise<Buffer>((resolve, reject) => {
    scrypt(normalize(password), salt, length, options, (error, key) =>
      error ? reject(error) : resolve(key),
    );
  });
}

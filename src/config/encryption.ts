import { readFileSync } from 'node:fs';
import { ConfigError } from './errors.js';
import { readSettings, type Source } from './setting.js';
import { ENCRYPTION } from './storage-settings.js';

export interface EncryptionConfig {
  /** Key id used for new objects. */
  activeKeyId: string;
  /** Every key still needed to read old objects, by id; 32 bytes each. */
  keys: ReadonlyMap<string, Buffer>;
}

const KEY_ID = /^[A-Za-z0-9._-]{1,32}$/;
/** Key id of ENCRYPTION_KEY, and of a key file's lone key without `id=`. */
export const DEFAULT_KEY_ID = 'default';

const KEY = ENCRYPTION.key.env!;
const KEY_FILE = ENCRYPTION.keyFile.env!;

/**
 * ENCRYPTION_KEY (base64 of 32 bytes, id "default") or ENCRYPTION_KEY_FILE: lines of
 * `keyid=base64`, `#` comments and blank lines ignored, optionally `active=keyid`; without it the
 * last key encrypts. Every key decrypts (rotation: append a new key, keep the old ones).
 */
export function readEncryption(source: Source): EncryptionConfig | undefined {
  const { key, keyFile } = readSettings(ENCRYPTION, source);
  if (key !== undefined && keyFile !== undefined) {
    throw new ConfigError(KEY_FILE, `set either ${KEY} or ${KEY_FILE}`);
  }
  if (key !== undefined) {
    return { activeKeyId: DEFAULT_KEY_ID, keys: new Map([[DEFAULT_KEY_ID, decodeKey(key, KEY)]]) };
  }
  if (keyFile === undefined) return undefined;
  let text: string;
  try {
    text = readFileSync(keyFile, 'utf8');
  } catch (error) {
    const code = (error as { code?: string }).code ?? 'error';
    throw new ConfigError(KEY_FILE, `cannot read the key file (${code})`);
  }
  return parseKeyFile(text);
}

/** Parses a key file's text; errors name the line number, never its content. */
export function parseKeyFile(text: string): EncryptionConfig {
  const keys = new Map<string, Buffer>();
  let active: string | undefined;
  let last: string | undefined;
  const lines = text.split(/\r?\n/);
  lines.forEach((rawLine, i) => {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) return;
    const eq = line.indexOf('=');
    // A lone base64 key may itself end in '=' padding: only `id=` before a non-empty rest counts.
    const lone = eq < 0 || /^[A-Za-z0-9+/]+={1,2}$/.test(line);
    const id = lone ? DEFAULT_KEY_ID : line.slice(0, eq).trim();
    const value = lone ? line : line.slice(eq + 1).trim();
    if (id === 'active') {
      active = value;
      return;
    }
    if (!KEY_ID.test(id))
      throw new ConfigError(KEY_FILE, `line ${i + 1}: key id must match ${KEY_ID.source}`);
    if (keys.has(id)) throw new ConfigError(KEY_FILE, `line ${i + 1}: duplicate key id "${id}"`);
    keys.set(id, decodeKey(value, KEY_FILE, `line ${i + 1}: `));
    last = id;
  });
  if (last === undefined) throw new ConfigError(KEY_FILE, 'no key in the file');
  if (active !== undefined && !keys.has(active)) {
    throw new ConfigError(KEY_FILE, `active key id "${active}" is not in the file`);
  }
  return { activeKeyId: active ?? last, keys };
}

function decodeKey(value: string, variable: string, where = ''): Buffer {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(value)) {
    throw new ConfigError(
      variable,
      `${where}must be base64 of 32 random bytes (openssl rand -base64 32)`,
    );
  }
  const key = Buffer.from(value, 'base64');
  if (key.length !== 32) {
    throw new ConfigError(
      variable,
      `${where}must decode to 32 bytes for AES-256, not ${key.length}`,
    );
  }
  return key;
}

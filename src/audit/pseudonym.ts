import { createHmac, randomBytes } from 'node:crypto';
import { link, mkdir, open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Pseudonyms for the audit trail: patient IDs and study UIDs are stored as keyed hashes
 * (HMAC-SHA256, hex), so the trail answers "who saw patient X" to someone who holds the key and
 * asks with X, while a copy of the table alone names nobody. The same key must be used by every
 * node sharing a database (AUDIT_PSEUDONYM_KEY), or their records of one patient would differ.
 */
export class Pseudonyms {
  constructor(private readonly key: Buffer) {
    if (key.length < 32) throw new RangeError('audit pseudonym key: at least 32 bytes');
  }

  /** The stored reference for an identifier: HMAC-SHA256(key, value), 64 hex digits. */
  ref(value: string): string {
    return createHmac('sha256', this.key).update(value, 'utf8').digest('hex');
  }

  /**
   * A QIDO query string with the values of patient-identifying parameters (and of UIDs)
   * replaced by their references; every other parameter, and the order, as received. A
   * comma-separated list (UID list matching, PS3.18 §8.3.4.1) is referenced item by item, so a
   * searched study's reference equals the one stored for it.
   */
  query(queryString: string): string {
    const raw = queryString.startsWith('?') ? queryString.slice(1) : queryString;
    if (raw === '') return '';
    return raw
      .split('&')
      .map((pair) => {
        const eq = pair.indexOf('=');
        if (eq < 0) return pair;
        const name = pair.slice(0, eq);
        const value = pair.slice(eq + 1);
        if (value === '' || !isIdentifying(decodeComponent(name))) return pair;
        return `${name}=${decodeComponent(value)
          .split(',')
          .map((item) => this.ref(item))
          .join(',')}`;
      })
      .join('&');
  }
}

/**
 * Query parameters whose values identify a patient (PS3.15 E.1-1 Basic Profile: names, IDs,
 * birth date, addresses and telephone numbers, other IDs and names, the issuer of the ID) or a
 * study, series or instance (UIDs, the accession number), by keyword and by tag.
 */
const IDENTIFYING = new Map<string, string>([
  ['PatientName', '00100010'],
  ['PatientID', '00100020'],
  ['IssuerOfPatientID', '00100021'],
  ['IssuerOfPatientIDQualifiersSequence', '00100024'],
  ['PatientBirthDate', '00100030'],
  ['PatientBirthTime', '00100032'],
  ['OtherPatientIDs', '00101000'],
  ['OtherPatientNames', '00101001'],
  ['OtherPatientIDsSequence', '00101002'],
  ['PatientBirthName', '00101005'],
  ['PatientAddress', '00101040'],
  ['PatientMotherBirthName', '00101060'],
  ['MedicalRecordLocator', '00101090'],
  ['PatientTelephoneNumbers', '00102154'],
  ['ResponsiblePerson', '00102297'],
  ['AccessionNumber', '00080050'],
  ['StudyInstanceUID', '0020000D'],
  ['SeriesInstanceUID', '0020000E'],
  ['SOPInstanceUID', '00080018'],
]);
const IDENTIFYING_NAMES = new Set<string>([
  ...IDENTIFYING.keys(),
  ...[...IDENTIFYING.values()].map((tag) => tag.toUpperCase()),
]);

/** A parameter name, or any step of a sequence path (`OtherPatientIDsSequence.PatientID`). */
function isIdentifying(name: string): boolean {
  return name.split('.').some((step) => {
    const bare = step.trim();
    return IDENTIFYING_NAMES.has(bare) || IDENTIFYING_NAMES.has(bare.toUpperCase());
  });
}

function decodeComponent(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    // Not valid percent-encoding: referenced as sent, never stored in the clear.
    return text;
  }
}

/** Where the generated key lives under DATA_DIR. */
export const PSEUDONYM_KEY_FILE = 'audit-pseudonym.key';

/**
 * The pseudonym key: AUDIT_PSEUDONYM_KEY when set (its UTF-8 bytes), else 32 random bytes kept
 * in `DATA_DIR/audit-pseudonym.key` (mode 0600), created on the first start and read on later
 * ones. The file is written under a temporary name, synced, then hard-linked into place: `link`
 * never replaces an existing file, so two processes starting at once agree on one key and no
 * reader ever sees a partial file.
 */
export async function loadPseudonymKey(options: {
  configured: string | undefined;
  dataDir: string;
}): Promise<Buffer> {
  if (options.configured !== undefined) return Buffer.from(options.configured, 'utf8');
  const path = join(options.dataDir, PSEUDONYM_KEY_FILE);
  const existing = await readKeyFile(path);
  if (existing) return existing;
  await mkdir(options.dataDir, { recursive: true });
  const temp = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const handle = await open(temp, 'wx', 0o600);
  try {
    await handle.writeFile(randomBytes(32).toString('hex') + '\n');
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await link(temp, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    await rm(temp, { force: true });
  }
  await syncDirectory(options.dataDir);
  const created = await readKeyFile(path);
  if (!created) throw new Error(`${PSEUDONYM_KEY_FILE}: not a key`);
  return created;
}

async function readKeyFile(path: string): Promise<Buffer | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const hex = text.trim();
  if (!/^[0-9a-f]{64,}$/i.test(hex)) {
    throw new Error(`${path}: expected at least 64 hex digits (the audit pseudonym key)`);
  }
  return Buffer.from(hex, 'hex');
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

import { createHmac, randomBytes } from 'node:crypto';

/**
 * Replacement UIDs for the U action of PS3.15 Table E.1-1: the same original UID always maps to
 * the same new UID within one map (one export), so study, series and frame-of-reference
 * references stay consistent across its instances (PS3.15 E.1.1 note 3). Each map has its own
 * random salt: two exports of one study get unrelated UIDs, and nobody can recompute the
 * mapping from the original UID (no dictionary attack on an unsalted hash, E.1.1 note 1.3).
 *
 * New UIDs are `2.25.` + a 128-bit integer in decimal (PS3.5 B.2, the UUID-derived root): at
 * most 44 characters, no leading zero.
 */
export class UidMap {
  private readonly salt: Buffer;
  private readonly mapped = new Map<string, string>();

  constructor(salt: Uint8Array = randomBytes(32)) {
    this.salt = Buffer.from(salt);
  }

  /** The replacement for `uid` (trailing NUL/space padding ignored). */
  map(uid: string): string {
    const original = uid.replace(/[\0 ]+$/, '');
    let replacement = this.mapped.get(original);
    if (replacement === undefined) {
      const digest = createHmac('sha256', this.salt).update(original).digest();
      replacement = `2.25.${BigInt('0x' + digest.subarray(0, 16).toString('hex')).toString()}`;
      this.mapped.set(original, replacement);
    }
    return replacement;
  }

  /** How many distinct UIDs were replaced so far. */
  get size(): number {
    return this.mapped.size;
  }
}

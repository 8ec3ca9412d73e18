import { describe, expect, it } from 'vitest';
import {
  assertPasswordAcceptable,
  hashPassword,
  needsRehash,
  verifyPassword,
  type ScryptParams,
} from './passwords.js';

/** Cheap parameters keep the suite fast; the default is exercised once below. */
const CHEAP: ScryptParams = { N: 1024, r: 8, p: 1 };

describe('passwords', () => {
  it('stores scrypt with its parameters, a random salt, and verifies only the right password', async () => {
    const stored = await hashPassword('correct horse battery', CHEAP);
    expect(stored).toMatch(/^scrypt\$N=1024,r=8,p=1\$[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=$/);
    expect(await hashPassword('correct horse battery', CHEAP)).not.toBe(stored);
    expect(await verifyPassword('correct horse battery', stored)).toBe(true);
    expect(await verifyPassword('correct horse batterY', stored)).toBe(false);
    expect(await verifyPassword('', stored)).toBe(false);
  });

  it("uses 64 MiB by default, beyond node:crypto's 32 MiB maxmem default", async () => {
    const stored = await hashPassword('correct horse battery');
    expect(stored.startsWith('scrypt$N=65536,r=8,p=1$')).toBe(true);
    expect(await verifyPassword('correct horse battery', stored)).toBe(true);
    expect(needsRehash(stored)).toBe(false);
  });

  it('verifies with the parameters in the stored string and asks for a re-hash when they differ', async () => {
    const old = await hashPassword('correct horse battery', { N: 2048, r: 8, p: 1 });
    expect(await verifyPassword('correct horse battery', old)).toBe(true);
    expect(needsRehash(old, CHEAP)).toBe(true);
    expect(needsRehash(old, { N: 2048, r: 8, p: 1 })).toBe(false);
  });

  it('a stored string that does not parse matches nothing and asks for a re-hash', async () => {
    for (const bad of ['', 'plain', 'scrypt$N=1024,r=8,p=1$c2FsdA==$', 'bcrypt$2b$10$abc']) {
      expect(await verifyPassword('anything at all', bad)).toBe(false);
      expect(needsRehash(bad)).toBe(true);
    }
  });

  it('compares Unicode passwords after NFKC normalization (NIST SP 800-63B)', async () => {
    const composed = 'caf\u00e9 au lait noir';
    const decomposed = 'cafe\u0301 au lait noir';
    expect(await verifyPassword(decomposed, await hashPassword(composed, CHEAP))).toBe(true);
  });

  it('refuses passwords shorter than 12 characters, saying so', () => {
    expect(() => assertPasswordAcceptable('short pass!')).toThrow(
      /at least 12 characters \(this one has 11\)/,
    );
    expect(() => assertPasswordAcceptable('x'.repeat(1025))).toThrow(/at most 1024/);
    expect(() => assertPasswordAcceptable('twelve chars')).not.toThrow();
  });
});

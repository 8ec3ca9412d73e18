import { generate } from 'otplib';
import { describe, expect, it } from 'vitest';
import { enrollTotp, verifyTotp } from './totp.js';

const at = (seconds: number) => new Date(seconds * 1000);
const code = (secret: string, seconds: number) => generate({ secret, epoch: seconds });

describe('totp', () => {
  it('enrolls a 160-bit base32 secret and an otpauth URI naming issuer and account', () => {
    const { secret, uri } = enrollTotp('alice', 'Strata');
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(uri).toMatch(/^otpauth:\/\/totp\/Strata:alice\?/);
    expect(new URL(uri).searchParams.get('secret')).toBe(secret);
    expect(enrollTotp('alice', 'Strata').secret).not.toBe(secret);
  });

  it('accepts the current code and one step either side, nothing further (RFC 6238 §5.2)', async () => {
    const { secret } = enrollTotp('alice', 'Strata');
    const now = 1_800_000_015; // step 60_000_000
    expect(await verifyTotp(secret, await code(secret, now), at(now), undefined)).toBe(60_000_000);
    expect(await verifyTotp(secret, await code(secret, now - 30), at(now), undefined)).toBe(
      59_999_999,
    );
    expect(await verifyTotp(secret, await code(secret, now + 30), at(now), undefined)).toBe(
      60_000_001,
    );
    expect(await verifyTotp(secret, await code(secret, now - 60), at(now), undefined)).toBe(
      undefined,
    );
    expect(await verifyTotp(secret, await code(secret, now + 60), at(now), undefined)).toBe(
      undefined,
    );
  });

  it('refuses a code of a step at or before the last accepted one (replay)', async () => {
    const { secret } = enrollTotp('alice', 'Strata');
    const now = 1_800_000_015;
    const current = await code(secret, now);
    expect(await verifyTotp(secret, current, at(now), 60_000_000)).toBe(undefined);
    expect(await verifyTotp(secret, current, at(now), 59_999_999)).toBe(60_000_000);
    // A last step beyond the window (the clock went back): every code in the window is spent.
    expect(await verifyTotp(secret, current, at(now), 60_000_005)).toBe(undefined);
  });

  it('treats malformed codes as wrong, never as an error', async () => {
    const { secret } = enrollTotp('alice', 'Strata');
    for (const bad of ['', '12345', '1234567', 'abcdef', ' 123456'])
      expect(await verifyTotp(secret, bad, at(1_800_000_000), undefined)).toBe(undefined);
  });
});

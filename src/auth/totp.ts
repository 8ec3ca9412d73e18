import { generateSecret, generateURI, verify } from 'otplib';

/**
 * RFC 6238 one-time codes with the parameters every authenticator app supports (RFC 6238 §4:
 * 30-second steps; RFC 4226 §5.3: 6 digits, HMAC-SHA-1), through otplib.
 */

/** RFC 6238 §4.1 X: the time step in seconds. */
export const TOTP_PERIOD_SECONDS = 30;

export interface TotpEnrollment {
  /** Base32 secret (RFC 4648 §6), 160 bits (RFC 4226 §4 R6 recommends 160). */
  secret: string;
  /** `otpauth://totp/…` for a QR code or an app's "enter a setup key". */
  uri: string;
}

export function enrollTotp(account: string, issuer: string): TotpEnrollment {
  const secret = generateSecret({ length: 20 });
  return { secret, uri: generateURI({ issuer, label: account, secret }) };
}

/**
 * The time step `code` belongs to, when it is valid at `now` within one step either side
 * (RFC 6238 §5.2 allows one step of clock drift) and later than `afterStep` (the last step
 * accepted, so a code seen by an eavesdropper cannot be used again); otherwise undefined.
 */
export async function verifyTotp(
  secret: string,
  code: string,
  now: Date,
  afterStep: number | undefined,
): Promise<number | undefined> {
  if (!/^\d{6}$/.test(code)) return undefined;
  const epoch = Math.floor(now.getTime() / 1000);
  const newest = Math.floor(epoch / TOTP_PERIOD_SECONDS) + 1;
  // otplib throws when afterStep lies beyond the window: every step in it is then used.
  if (afterStep !== undefined && afterStep >= newest) return undefined;
  const result = await verify({
    secret,
    token: code,
    epoch,
    epochTolerance: TOTP_PERIOD_SECONDS,
    ...(afterStep !== undefined ? { afterTimeStep: afterStep } : {}),
  });
  // The TOTP half of otplib's result union carries the step.
  return result.valid && 'timeStep' in result ? result.timeStep : undefined;
}

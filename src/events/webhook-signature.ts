import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The signature of a webhook delivery, sent as `X-Strata-Signature: sha256=<hex>` with
 * `X-Strata-Timestamp: <unix seconds>`: HMAC-SHA256 under the subscription's secret over
 * `<timestamp>.<body>` (the body's exact bytes). Covering the timestamp lets a receiver refuse
 * replays of old deliveries (e.g. older than five minutes); the same scheme as Stripe's and
 * Slack's, so receivers have code for it.
 */
export function signDelivery(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** A receiver's check (constant time); exported for tests and for the README's example. */
export function verifyDelivery(
  secret: string,
  timestamp: string,
  body: string,
  signature: string,
): boolean {
  const expected = Buffer.from(signDelivery(secret, Number(timestamp), body));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

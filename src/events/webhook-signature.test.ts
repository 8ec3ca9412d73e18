import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signDelivery, verifyDelivery } from './webhook-signature.js';

describe('webhook signature', () => {
  const body = '{"Sequence":7,"Action":"create"}';

  it('is HMAC-SHA256 over "<timestamp>.<body>", hex, prefixed sha256=', () => {
    const expected = createHmac('sha256', 'k').update(`1700000000.${body}`).digest('hex');
    expect(signDelivery('k', 1700000000, body)).toBe(`sha256=${expected}`);
  });

  it('verifies only the same secret, timestamp and body', () => {
    const signature = signDelivery('secret', 1700000000, body);
    expect(verifyDelivery('secret', '1700000000', body, signature)).toBe(true);
    expect(verifyDelivery('other', '1700000000', body, signature)).toBe(false);
    expect(verifyDelivery('secret', '1700000001', body, signature)).toBe(false);
    expect(verifyDelivery('secret', '1700000000', body + ' ', signature)).toBe(false);
    expect(verifyDelivery('secret', '1700000000', body, 'sha256=00')).toBe(false);
  });
});

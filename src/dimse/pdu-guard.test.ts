import { describe, expect, it } from 'vitest';
import { PduGuard } from './pdu-guard.js';

function pdu(type: number, length: number, body = Buffer.alloc(Math.min(length, 4096))): Buffer {
  const header = Buffer.alloc(6);
  header[0] = type;
  header.writeUInt32BE(length, 2);
  return Buffer.concat([header, body]);
}

describe('PduGuard', () => {
  it('passes well-formed PDUs split at any byte', () => {
    const bytes = Buffer.concat([pdu(1, 200), pdu(4, 1000), pdu(5, 4)]);
    for (let split = 1; split < bytes.length; split += 7) {
      const guard = new PduGuard(1000);
      expect(guard.check(bytes.subarray(0, split))).toBeUndefined();
      expect(guard.check(bytes.subarray(split))).toBeUndefined();
    }
  });

  it('stops a P-DATA-TF longer than announced at its header', () => {
    const guard = new PduGuard(1000);
    expect(guard.check(pdu(4, 1000))).toBeUndefined();
    expect(guard.check(pdu(4, 4 * 1024 ** 3 - 1).subarray(0, 6))).toBe('pdu-too-long');
  });

  it('stops an unknown PDU type', () => {
    expect(new PduGuard(1000).check(Buffer.from('GET / HTTP/1.1\r\n'))).toBe('unknown-pdu-type');
  });
});

import { describe, expect, it } from 'vitest';
import { AddressList, unmapped } from './address-list.js';

function parse(entries: string[]): AddressList {
  const list = AddressList.parse(entries);
  if (typeof list === 'string') throw new Error(list);
  return list;
}

describe('AddressList', () => {
  it('matches single IPv4 and IPv6 addresses, and IPv4-mapped IPv6 as IPv4', () => {
    const list = parse(['127.0.0.1', '::1']);
    expect(list.has('127.0.0.1')).toBe(true);
    expect(list.has('::ffff:127.0.0.1')).toBe(true);
    expect(list.has('::1')).toBe(true);
    expect(list.has('127.0.0.2')).toBe(false);
    expect(list.has('::2')).toBe(false);
  });

  it('matches CIDR ranges of both families', () => {
    const list = parse(['10.0.0.0/8', '2001:db8::/32']);
    expect(list.has('10.255.1.2')).toBe(true);
    expect(list.has('11.0.0.1')).toBe(false);
    expect(list.has('2001:db8:1::5')).toBe(true);
    expect(list.has('2001:db9::5')).toBe(false);
  });

  it('never matches what is not an address', () => {
    const list = parse(['0.0.0.0/0', '::/0']);
    expect(list.has('unknown')).toBe(false);
    expect(list.has('_hidden')).toBe(false);
    expect(list.has('')).toBe(false);
    expect(list.has('203.0.113.9')).toBe(true);
  });

  it('an empty list trusts nothing', () => {
    expect(parse([]).has('127.0.0.1')).toBe(false);
  });

  it('names a bad entry', () => {
    expect(AddressList.parse(['127.0.0.1', 'proxy.local'])).toMatch(/"proxy.local" is not an IP/);
    expect(AddressList.parse(['10.0.0.0/33'])).toMatch(/bad prefix/);
    expect(AddressList.parse(['::/129'])).toMatch(/bad prefix/);
    expect(AddressList.parse(['10.0.0.0/x'])).toMatch(/bad prefix/);
  });

  it('unmaps IPv4-mapped IPv6 only', () => {
    expect(unmapped('::ffff:10.1.2.3')).toBe('10.1.2.3');
    expect(unmapped('::1')).toBe('::1');
  });
});

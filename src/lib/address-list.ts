import { BlockList, isIP } from 'node:net';

/**
 * A set of IP addresses and CIDR ranges, IPv4 and IPv6 (TRUSTED_PROXIES). An IPv4 address seen
 * as IPv4-mapped IPv6 (`::ffff:127.0.0.1`, what a dual-stack listener reports) matches its IPv4
 * entry, so `127.0.0.1` means the same whichever way the server listens.
 */
export class AddressList {
  private constructor(
    private readonly list: BlockList,
    readonly entries: readonly string[],
  ) {}

  /** The list, or what is wrong with the first bad entry (for the setting's error message). */
  static parse(entries: readonly string[]): AddressList | string {
    const list = new BlockList();
    for (const entry of entries) {
      const slash = entry.indexOf('/');
      const address = slash < 0 ? entry : entry.slice(0, slash);
      const family = isIP(address);
      if (family === 0) return `"${entry}" is not an IP address or CIDR range`;
      const type = family === 4 ? 'ipv4' : 'ipv6';
      if (slash < 0) {
        list.addAddress(address, type);
        continue;
      }
      const bits = entry.slice(slash + 1);
      const prefix = Number(bits);
      if (!/^\d{1,3}$/.test(bits) || prefix > (family === 4 ? 32 : 128)) {
        return `"${entry}" has a bad prefix length`;
      }
      list.addSubnet(address, prefix, type);
    }
    return new AddressList(list, entries);
  }

  /** Whether `address` (a socket's or a header's, already without port) is in the list. */
  has(address: string): boolean {
    const plain = unmapped(address);
    const family = isIP(plain);
    if (family === 0) return false;
    return this.list.check(plain, family === 4 ? 'ipv4' : 'ipv6');
  }
}

/** `::ffff:192.0.2.1` → `192.0.2.1`; anything else unchanged. */
export function unmapped(address: string): string {
  const match = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return match ? match[1]! : address;
}

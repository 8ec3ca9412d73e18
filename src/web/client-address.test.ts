import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { AddressList } from '../lib/address-list.js';
import { clientAddressOf, readProxyView } from './client-address.js';

const proxies = AddressList.parse(['127.0.0.1', '::1', '10.0.0.0/8']) as AddressList;
const client = (peer: string, headers: Record<string, string> = {}) =>
  readProxyView(peer, new Headers(headers), proxies).client;

describe('client address', () => {
  it('is the socket peer when the peer is not a trusted proxy, whatever the headers say', () => {
    expect(client('203.0.113.5', { 'x-forwarded-for': '198.51.100.1' })).toBe('203.0.113.5');
    expect(client('203.0.113.5', { forwarded: 'for=198.51.100.1' })).toBe('203.0.113.5');
    expect(client('::ffff:203.0.113.5')).toBe('203.0.113.5');
  });

  it('is the peer itself when a trusted proxy names no one', () => {
    expect(client('127.0.0.1')).toBe('127.0.0.1');
  });

  it('walks X-Forwarded-For from the right past trusted proxies', () => {
    // The client wrote "1.1.1.1" itself; 198.51.100.7 is who our proxies saw.
    const headers = { 'x-forwarded-for': '1.1.1.1, 198.51.100.7, 10.0.0.5' };
    expect(client('127.0.0.1', headers)).toBe('198.51.100.7');
  });

  it('walks Forwarded for= (ports, IPv6 in brackets) and prefers it over X-Forwarded-For', () => {
    expect(
      client('::1', {
        forwarded: 'for="[2001:db8::7]:4711", for="10.0.0.2:8080"',
        'x-forwarded-for': '192.0.2.99',
      }),
    ).toBe('2001:db8::7');
  });

  it('stops at the proxy that wrote an entry that is no address', () => {
    expect(client('127.0.0.1', { 'x-forwarded-for': '1.1.1.1, unknown, 10.0.0.5' })).toBe(
      '10.0.0.5',
    );
    expect(client('127.0.0.1', { forwarded: 'for=_hidden' })).toBe('127.0.0.1');
  });

  it('is the leftmost entry when every hop is a trusted proxy', () => {
    expect(client('127.0.0.1', { 'x-forwarded-for': '10.1.1.1, 10.0.0.5' })).toBe('10.1.1.1');
  });

  it("is 'unknown' without a socket and without the middleware", async () => {
    const app = new Hono();
    app.get('/', (c) => c.text(clientAddressOf(c)));
    expect(await (await app.request('/')).text()).toBe('unknown');
  });
});

import { describe, expect, it } from 'vitest';
import { AddressList } from '../lib/address-list.js';
import { baseUrlFrom } from './base-url.js';
import { readProxyView } from './client-address.js';

const request = new Request('http://127.0.0.1:8080/dicom-web/studies');
const local = AddressList.parse(['127.0.0.1', '::1']) as AddressList;

/** The base URL of a request from `peer` carrying `headers`, behind the default proxies. */
function baseUrl(headers: Record<string, string>, peer = '127.0.0.1', publicBaseUrl?: string) {
  return baseUrlFrom(request, publicBaseUrl, readProxyView(peer, new Headers(headers), local));
}

describe('base URL', () => {
  it('uses the configured public URL above everything', () => {
    expect(
      baseUrl({ 'x-forwarded-host': 'evil.example' }, '127.0.0.1', 'https://pacs.example/b'),
    ).toBe('https://pacs.example/b');
  });

  it('falls back to the request origin', () => {
    expect(baseUrl({})).toBe('http://127.0.0.1:8080');
  });

  it('reads RFC 7239 Forwarded (quoted values) from a trusted peer', () => {
    expect(baseUrl({ forwarded: 'for=1.2.3.4;proto=https;host="pacs.example:8443"' })).toBe(
      'https://pacs.example:8443',
    );
  });

  it('takes Forwarded proto and host from the outermost element a trusted proxy wrote', () => {
    // The client (198.51.100.7) wrote the first element itself; our proxy appended the second.
    const url = baseUrl({
      forwarded: 'for=10.9.9.9;host=evil.example, for=198.51.100.7;proto=https;host=pacs.example',
    });
    expect(url).toBe('https://pacs.example');
  });

  it('reads X-Forwarded-Proto, -Host and -Prefix from a trusted peer', () => {
    const url = baseUrl({
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'viewer.example, internal',
      'x-forwarded-prefix': '/pacs',
    });
    expect(url).toBe('https://viewer.example/pacs');
  });

  it('#12: ignores proxy headers from a peer that is not a trusted proxy', () => {
    expect(
      baseUrl(
        { 'x-forwarded-host': 'evil.example', forwarded: 'host=evil.example;proto=https' },
        '203.0.113.5',
      ),
    ).toBe('http://127.0.0.1:8080');
  });

  it('ignores hostile values even from a trusted peer', () => {
    expect(
      baseUrl({ 'x-forwarded-host': 'a.example/evil?x=', 'x-forwarded-proto': 'javascript' }),
    ).toBe('http://127.0.0.1:8080');
  });
});

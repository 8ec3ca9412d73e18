import { describe, expect, it } from 'vitest';
import { resolveBaseUrl } from './base-url.js';

const request = (headers: Record<string, string> = {}) =>
  new Request('http://127.0.0.1:8080/dicom-web/studies', { headers });
const trusting = { publicBaseUrl: undefined, trustProxyHeaders: true };

describe('resolveBaseUrl', () => {
  it('uses the configured public URL above everything', () => {
    const url = resolveBaseUrl(request({ 'x-forwarded-host': 'evil.example' }), {
      publicBaseUrl: 'https://pacs.example/base',
      trustProxyHeaders: true,
    });
    expect(url).toBe('https://pacs.example/base');
  });

  it('falls back to the request origin', () => {
    expect(resolveBaseUrl(request(), trusting)).toBe('http://127.0.0.1:8080');
  });

  it('reads RFC 7239 Forwarded (first element, quoted values)', () => {
    const url = resolveBaseUrl(
      request({ forwarded: 'for=1.2.3.4;proto=https;host="pacs.example:8443", for=5.6.7.8' }),
      trusting,
    );
    expect(url).toBe('https://pacs.example:8443');
  });

  it('reads X-Forwarded-Proto, -Host and -Prefix', () => {
    const url = resolveBaseUrl(
      request({
        'x-forwarded-proto': 'https',
        'x-forwarded-host': 'viewer.example, internal',
        'x-forwarded-prefix': '/pacs',
      }),
      trusting,
    );
    expect(url).toBe('https://viewer.example/pacs');
  });

  it('ignores proxy headers when not trusted, and hostile values always', () => {
    expect(
      resolveBaseUrl(request({ 'x-forwarded-host': 'a.example' }), {
        publicBaseUrl: undefined,
        trustProxyHeaders: false,
      }),
    ).toBe('http://127.0.0.1:8080');
    expect(
      resolveBaseUrl(
        request({ 'x-forwarded-host': 'a.example/evil?x=', 'x-forwarded-proto': 'javascript' }),
        trusting,
      ),
    ).toBe('http://127.0.0.1:8080');
  });
});

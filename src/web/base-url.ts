import type { Context } from 'hono';
import { proxyViewOf, type ProxyView } from './client-address.js';

/**
 * The absolute base URL clients must see in every URL we hand out (RetrieveURL, BulkDataURI):
 * the configured public URL, else what a trusted reverse proxy says (RFC 7239 `Forwarded`, then
 * `X-Forwarded-Proto` / `X-Forwarded-Host` / `X-Forwarded-Prefix`; web/client-address.ts decides
 * whom to believe), else the request's own origin.
 */
export interface BaseUrlOptions {
  publicBaseUrl: string | undefined;
}

/** Host names and ports only: nothing a header could smuggle into a URL. */
const SAFE_HOST = /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/;
const SAFE_PREFIX = /^(\/[A-Za-z0-9._~-]+)+$/;

export function resolveBaseUrl(c: Context, options: BaseUrlOptions): string {
  return baseUrlFrom(c.req.raw, options.publicBaseUrl, proxyViewOf(c));
}

/** The rule itself; `view.trusted` false = the proxy fields are ignored. */
export function baseUrlFrom(
  request: Request,
  publicBaseUrl: string | undefined,
  view: Pick<ProxyView, 'trusted' | 'proto' | 'host' | 'prefix'>,
): string {
  if (publicBaseUrl) return publicBaseUrl;
  const own = new URL(request.url);
  let proto = own.protocol.replace(':', '');
  let host = own.host;
  let prefix = '';
  if (view.trusted) {
    if (view.proto === 'http' || view.proto === 'https') proto = view.proto;
    if (view.host && SAFE_HOST.test(view.host)) host = view.host;
    if (view.prefix && SAFE_PREFIX.test(view.prefix)) prefix = view.prefix;
  }
  return `${proto}://${host}${prefix}`;
}

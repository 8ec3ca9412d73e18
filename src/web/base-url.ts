/**
 * The absolute base URL clients must see in every URL we hand out (RetrieveURL, BulkDataURI):
 * the configured public URL, else what a reverse proxy says (RFC 7239 `Forwarded`, then
 * `X-Forwarded-Proto` / `X-Forwarded-Host` / `X-Forwarded-Prefix`), else the request's own origin.
 */
export interface BaseUrlOptions {
  publicBaseUrl: string | undefined;
  trustProxyHeaders: boolean;
}

/** Host names and ports only: nothing a header could smuggle into a URL. */
const SAFE_HOST = /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/;
const SAFE_PREFIX = /^(\/[A-Za-z0-9._~-]+)+$/;

export function resolveBaseUrl(request: Request, options: BaseUrlOptions): string {
  if (options.publicBaseUrl) return options.publicBaseUrl;
  const own = new URL(request.url);
  let proto = own.protocol.replace(':', '');
  let host = own.host;
  let prefix = '';
  if (options.trustProxyHeaders) {
    const headers = request.headers;
    const forwarded = parseForwarded(headers.get('forwarded'));
    const xProto = firstValue(headers.get('x-forwarded-proto'));
    const xHost = firstValue(headers.get('x-forwarded-host'));
    const xPrefix = firstValue(headers.get('x-forwarded-prefix'));
    const candidateProto = forwarded.proto ?? xProto;
    const candidateHost = forwarded.host ?? xHost;
    if (candidateProto === 'http' || candidateProto === 'https') proto = candidateProto;
    if (candidateHost && SAFE_HOST.test(candidateHost)) host = candidateHost;
    if (xPrefix && SAFE_PREFIX.test(xPrefix)) prefix = xPrefix;
  }
  return `${proto}://${host}${prefix}`;
}

function firstValue(header: string | null): string | undefined {
  const value = header?.split(',')[0]?.trim();
  return value ? value : undefined;
}

/** RFC 7239 §4: the first (client-nearest proxy's) element, `proto` and `host` pairs. */
function parseForwarded(header: string | null): { proto?: string; host?: string } {
  const first = header?.split(',')[0];
  if (!first) return {};
  const result: { proto?: string; host?: string } = {};
  for (const pair of first.split(';')) {
    const eq = pair.indexOf('=');
    if (eq < 0) continue;
    const name = pair.slice(0, eq).trim().toLowerCase();
    const value = pair
      .slice(eq + 1)
      .trim()
      .replace(/^"(.*)"$/, '$1');
    if (name === 'proto') result.proto = value.toLowerCase();
    if (name === 'host') result.host = value;
  }
  return result;
}

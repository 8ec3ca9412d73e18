import { isIP } from 'node:net';
import type { Context, MiddlewareHandler } from 'hono';
import { unmapped, type AddressList } from '../lib/address-list.js';
import { nodeExchange } from './node-streams.js';

/**
 * Who is on the other end of a request, and what the reverse proxies in front of us say about
 * it. Proxy headers (RFC 7239 `Forwarded`; `X-Forwarded-For`, `-Proto`, `-Host`, `-Prefix`) are
 * read only when the TCP peer is a trusted proxy (TRUSTED_PROXIES): from anyone else they are
 * what the client chose to write, and would let it rename the server in every RetrieveURL or
 * pose as another address to the audit trail and the rate limits.
 */
export interface ProxyView {
  /** The TCP peer's address ('unknown' without a socket, as under `app.request()`). */
  peer: string;
  /** Whether the peer is a trusted proxy, i.e. whether the fields below come from headers. */
  trusted: boolean;
  /** The client: the peer, or the first untrusted hop named by the proxies. */
  client: string;
  proto?: string | undefined;
  host?: string | undefined;
  prefix?: string | undefined;
}

const VIEW = 'proxyView' as never;

/** Global middleware: reads the peer and, from a trusted one, the proxy headers, once. */
export function proxyHeaders(trusted: AddressList): MiddlewareHandler {
  return async (c, next) => {
    const peer = nodeExchange(c)?.incoming.socket?.remoteAddress ?? 'unknown';
    c.set(VIEW, readProxyView(peer, c.req.raw.headers, trusted) as never);
    await next();
  };
}

/**
 * The client's IP address, for the audit trail and per-client limits: the socket's peer, or,
 * behind trusted proxies, the nearest address they name that is not itself a trusted proxy.
 */
export function clientAddressOf(c: Context): string {
  return proxyViewOf(c).client;
}

export function proxyViewOf(c: Context): ProxyView {
  const view = c.get(VIEW) as ProxyView | undefined;
  if (view) return view;
  // Without the middleware (an app built without it): the socket only, no header trusted.
  const peer = unmapped(nodeExchange(c)?.incoming.socket?.remoteAddress ?? 'unknown');
  return { peer, trusted: false, client: peer };
}

/**
 * The walk, right to left: each proxy appends the address it received from, so the rightmost
 * entries were written by our own proxies and the leftmost by whoever the client was (or chose
 * to say). We step left while the address we stand on is a trusted proxy; the first untrusted
 * address is the client. An entry that is no address (`unknown`, an obfuscated node, garbage)
 * stops the walk at the proxy that wrote it. With `Forwarded`, `proto` and `host` are taken from
 * the outermost element a trusted proxy wrote.
 */
export function readProxyView(peer: string, headers: Headers, trusted: AddressList): ProxyView {
  const socketPeer = unmapped(peer);
  if (!trusted.has(socketPeer)) return { peer: socketPeer, trusted: false, client: socketPeer };
  const elements = parseForwarded(headers.get('forwarded'));
  const forwardedFor = elements.some((e) => e.for !== undefined);
  const hops = forwardedFor
    ? elements.map((e) => e.for ?? '')
    : (headers
        .get('x-forwarded-for')
        ?.split(',')
        .map((s) => s.trim()) ?? []);
  let client = socketPeer;
  let outermost = hops.length; // index of the outermost hop written by a trusted proxy
  for (let i = hops.length - 1; i >= 0; i--) {
    if (!trusted.has(client)) break;
    outermost = i;
    const address = nodeAddress(hops[i]!);
    if (address === undefined) break;
    client = address;
  }
  const view: ProxyView = { peer: socketPeer, trusted: true, client };
  // Forwarded proto/host: the outermost trusted element that has them; without `for=` chains,
  // the first element (a proxy that sets Forwarded replaces it).
  const written = forwardedFor ? elements.slice(outermost) : elements.slice(0, 1);
  view.proto = written.find((e) => e.proto)?.proto ?? firstValue(headers.get('x-forwarded-proto'));
  view.host = written.find((e) => e.host)?.host ?? firstValue(headers.get('x-forwarded-host'));
  view.prefix = firstValue(headers.get('x-forwarded-prefix'));
  return view;
}

/**
 * X-Forwarded-Proto/-Host/-Prefix name one value, set (not appended) by the proxy; a list
 * means proxies appended, and the first entry is the one the client-facing proxy saw.
 */
function firstValue(header: string | null): string | undefined {
  const value = header?.split(',')[0]?.trim();
  return value ? value : undefined;
}

interface ForwardedElement {
  for?: string;
  proto?: string;
  host?: string;
}

/** RFC 7239 §4: comma-separated elements of `;`-separated pairs, values possibly quoted. */
function parseForwarded(header: string | null): ForwardedElement[] {
  if (!header) return [];
  return header.split(',').map((element) => {
    const result: ForwardedElement = {};
    for (const pair of element.split(';')) {
      const eq = pair.indexOf('=');
      if (eq < 0) continue;
      const name = pair.slice(0, eq).trim().toLowerCase();
      const value = pair
        .slice(eq + 1)
        .trim()
        .replace(/^"(.*)"$/, '$1');
      if (name === 'for') result.for = value;
      if (name === 'proto') result.proto = value.toLowerCase();
      if (name === 'host') result.host = value;
    }
    return result;
  });
}

/**
 * RFC 7239 §6 node (`192.0.2.43`, `192.0.2.43:47011`, `[2001:db8::1]:4711`) or an
 * X-Forwarded-For entry → the bare address; undefined for `unknown`, `_obfuscated` or garbage.
 */
function nodeAddress(node: string): string | undefined {
  let address = node.trim();
  if (address.startsWith('[')) {
    const end = address.indexOf(']');
    address = end < 0 ? '' : address.slice(1, end);
  } else if (/^\d+\.\d+\.\d+\.\d+:\d+$/.test(address)) {
    address = address.slice(0, address.indexOf(':'));
  }
  address = unmapped(address);
  return isIP(address) === 0 ? undefined : address;
}

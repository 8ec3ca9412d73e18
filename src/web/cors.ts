import type { MiddlewareHandler } from 'hono';

/**
 * CORS for browser viewers (OHIF), Fetch standard §3.2 (CORS protocol). CORS_ORIGINS `*` lets
 * any origin read (GET, HEAD); origins listed by name may also store and delete. A page from
 * another origin can then read what its user's token allows, but a page the operator has not
 * named cannot make the user's browser write or delete.
 *
 * Never `Access-Control-Allow-Credentials`: viewers authenticate with `Authorization: Bearer`,
 * which a page sends as a request header it holds itself (allowed below), not as a credential
 * the browser attaches on its own. Without cookies or HTTP auth there is nothing for another
 * site to ride on, and answering credentialed requests would only open that door.
 *
 * Runs before routing and authentication, so a preflight (which carries no Authorization) is
 * answered here, and every response, errors included, carries the headers.
 */
const READ_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD']);
const ALL_METHODS = 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS';
const READ_ONLY_METHODS = 'GET, HEAD, OPTIONS';
/**
 * Authorization for tokens; Accept (DICOMweb media types are not CORS-safelisted values); the
 * tus request headers of resumable uploads (web/uploads/).
 */
const ALLOW_HEADERS =
  'Authorization, Accept, Content-Type, Range, If-None-Match, Tus-Resumable, Upload-Length, Upload-Offset, Upload-Metadata, Upload-Defer-Length';
/**
 * What viewers read from responses (partial content, caching, STOW's Location, warnings), and
 * what tus clients read (offsets, limits, expiry, a finished upload's STOW status and result).
 */
const EXPOSE_HEADERS =
  'Content-Length, Content-Range, Content-Type, ETag, Location, Warning, Tus-Resumable, Tus-Version, Tus-Extension, Tus-Max-Size, Upload-Offset, Upload-Length, Upload-Metadata, Upload-Expires, Strata-Stow-Status, Strata-Upload-Result';
/** How long a browser may cache a preflight answer (Chromium caps it at 2 hours). */
const MAX_AGE_SECONDS = '86400';

export function corsMiddleware(origins: readonly string[]): MiddlewareHandler {
  const anyReads = origins.includes('*');
  const named = new Set(origins.filter((o) => o !== '*').map((o) => o.replace(/\/+$/, '')));
  /** Which methods `origin` may use: all, reads only, or none. */
  const grant = (origin: string | undefined): 'all' | 'read' | 'none' => {
    if (origin !== undefined && named.has(origin)) return 'all';
    return anyReads ? 'read' : 'none';
  };

  return async (c, next) => {
    const origin = c.req.header('Origin');
    const access = grant(origin);
    // The answer depends on Origin whenever some origins are named (caches must not mix them).
    const vary = named.size > 0;

    // An OPTIONS without Origin is no CORS request (Fetch §3.2.2): it is routed like any other
    // (tus discovery, web/uploads/), through authentication and the route's action.
    if (c.req.method === 'OPTIONS' && origin !== undefined) {
      // A preflight: answered here, never routed. Without allow headers the browser refuses the
      // request it was asking about.
      const asked = c.req.header('Access-Control-Request-Method')?.toUpperCase();
      const headers = new Headers();
      if (vary) headers.set('Vary', 'Origin');
      const allowed =
        origin !== undefined &&
        (access === 'all' ||
          (access === 'read' && (asked === undefined || READ_METHODS.has(asked))));
      if (allowed) {
        headers.set('Access-Control-Allow-Origin', access === 'all' ? origin : '*');
        headers.set(
          'Access-Control-Allow-Methods',
          access === 'all' ? ALL_METHODS : READ_ONLY_METHODS,
        );
        headers.set('Access-Control-Allow-Headers', ALLOW_HEADERS);
        headers.set('Access-Control-Max-Age', MAX_AGE_SECONDS);
      }
      return new Response(null, { status: 204, headers });
    }

    await next();
    if (vary) c.res.headers.append('Vary', 'Origin');
    // `*` goes on reads even without Origin, so a cache may hand the answer to any page.
    if (access === 'all' && origin !== undefined) {
      c.res.headers.set('Access-Control-Allow-Origin', origin);
    } else if (access === 'read' && READ_METHODS.has(c.req.method)) {
      c.res.headers.set('Access-Control-Allow-Origin', '*');
    } else {
      return;
    }
    c.res.headers.set('Access-Control-Expose-Headers', EXPOSE_HEADERS);
  };
}

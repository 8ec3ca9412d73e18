import type { Context } from 'hono';
import type { RouteTable } from '../web/access.js';
import type { Asset, ConsoleAssets } from './assets.js';

/**
 * The web console's pages and scripts. These two routes are `public` on purpose: they hold no
 * data, only code and the settings a sign-in form needs; everything the console shows it fetches
 * from the authenticated APIs with a bearer token. Unknown files under /console/ answer 404 as
 * any unknown route does.
 */
export function registerConsoleRoutes(table: RouteTable, files: ConsoleAssets): void {
  const serve = (c: Context, path: string) => {
    const asset = files.assets.get(path);
    return asset ? respond(c, asset, files.contentSecurityPolicy) : undefined;
  };
  table.add('get', '/', 'public', (c) => serve(c, '/')!);
  table.add('get', '/console/*', 'public', async (c, next) => {
    const response = serve(c, c.req.path);
    if (response) return response;
    await next(); // falls through to the app's notFound
  });
}

function respond(c: Context, asset: Asset, policy: string): Response {
  const headers: Record<string, string> = {
    ETag: asset.etag,
    'Cache-Control': asset.cacheControl,
    'X-Content-Type-Options': 'nosniff',
  };
  if (asset.shell) {
    headers['Content-Security-Policy'] = policy;
    // OIDC sends the code in the callback's query: no Referer may carry it anywhere.
    headers['Referrer-Policy'] = 'no-referrer';
    headers['X-Frame-Options'] = 'DENY';
  }
  // RFC 9110 §13.1.2: a weak comparison of If-None-Match; `*` matches any current asset.
  const ifNoneMatch = c.req.header('If-None-Match');
  if (ifNoneMatch && matches(ifNoneMatch, asset.etag)) {
    return new Response(null, { status: 304, headers });
  }
  headers['Content-Type'] = asset.type;
  return new Response(new Uint8Array(asset.body), { status: 200, headers });
}

function matches(header: string, etag: string): boolean {
  if (header.trim() === '*') return true;
  const opaque = etag.replace(/^W\//, '');
  return header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === opaque);
}

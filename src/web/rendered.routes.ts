/**
 * WADO-RS Retrieve Rendered / Thumbnail (PS3.18 §10.4.1.1.3, §10.4.1.1.5): the eight GET
 * resources `…/rendered` and `…/thumbnail` at study, series, instance and frame level.
 * Media type by Accept or the `accept` query parameter (§8.3.3.1): image/jpeg (the default
 * for `*\/*` or no Accept), image/png, image/webp. `annotation`, `charset` and `iccprofile`
 * are accepted and ignored.
 */
import type { Context } from 'hono';
import {
  parseRenderParams,
  type RenderedMediaType,
  type RenderKind,
} from '../services/retrieve-rendered.js';
import type { Services } from '../services/services.js';
import { acceptOf, negotiateOrThrow, type Offer } from './negotiate.js';

interface ImageOffer extends Offer {
  type: RenderedMediaType;
}

/** PS3.18 Table 8.7.4-1: image/jpeg is the default rendered media type; the first offer wins ties. */
const OFFERS: readonly ImageOffer[] = [
  { type: 'image/jpeg' },
  { type: 'image/png' },
  { type: 'image/webp' },
];

/**
 * Rendered images depend on the stored object, which may be replaced under the same URL: a
 * cache revalidates (cheap: the ETag is known before any pixel is read) rather than trusting
 * an age. `private`: they show patient images.
 */
const CACHE_CONTROL = 'private, no-cache';

export function renderedHandler(services: Services, kind: RenderKind) {
  return async (c: Context): Promise<Response> => {
    const negotiated = negotiateOrThrow(acceptOf(c.req), OFFERS);
    const params = parseRenderParams((name) => c.req.query(name));
    const prepared = await services.retrieve.rendered.prepare(kind, {
      scope: {
        study: c.req.param('study') ?? '',
        series: c.req.param('series'),
        instance: c.req.param('instance'),
      },
      frameList: c.req.param('frames'),
      mediaType: negotiated.offer.type,
      params,
      signal: c.req.raw.signal,
    });
    const headers: Record<string, string> = {
      ETag: prepared.etag,
      'Cache-Control': CACHE_CONTROL,
      Vary: 'Accept',
      // Cross-origin viewers draw these in <img> / canvases (Fetch standard, CORP).
      'Cross-Origin-Resource-Policy': 'cross-origin',
    };
    if (matches(c.req.header('if-none-match'), prepared.etag)) return c.body(null, 304, headers);
    const body = await prepared.render();
    headers['Content-Type'] = prepared.mediaType;
    return c.body(new Uint8Array(body), 200, headers);
  };
}

/** RFC 9110 §13.1.2: If-None-Match is `*` or a list of entity tags (weak comparison). */
function matches(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}

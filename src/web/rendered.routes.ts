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
  RENDERED_OFFERS,
  type RenderKind,
} from '../services/retrieve-rendered.js';
import type { Services } from '../services/services.js';
import { actorOf } from './actor.js';
import { acceptOf, negotiateOrThrow } from './negotiate.js';
import { respond, scopeOf } from './representation.js';

export function renderedHandler(services: Services, kind: RenderKind) {
  return async (c: Context): Promise<Response> => {
    const negotiated = negotiateOrThrow(acceptOf(c.req), RENDERED_OFFERS);
    const params = parseRenderParams((name) => c.req.query(name));
    const plan = await services.retrieve.rendered.prepare(kind, {
      scope: scopeOf(c),
      frameList: c.req.param('frames'),
      mediaType: negotiated.offer.type,
      params,
      signal: c.req.raw.signal,
      actor: actorOf(c),
    });
    // Cross-origin viewers draw these in <img> / canvases (Fetch standard, CORP).
    return respond(c, plan, { crossOrigin: true });
  };
}

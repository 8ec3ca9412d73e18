/**
 * GET …/metadata at study, series and instance level — Retrieve Metadata (PS3.18 10.4.1.1.2):
 * `application/dicom+json` from the index, streamed batch by batch (services/retrieve-metadata.ts),
 * BulkDataURIs absolute under the public base URL (so they resolve behind a proxy).
 */
import type { Context } from 'hono';
import type { Services } from '../services/services.js';
import { actorOf } from './actor.js';
import { acceptOf, negotiateOrThrow } from './negotiate.js';
import { baseOf, respond, scopeOf, type WadoRouteOptions } from './representation.js';

export function metadataHandler(services: Services, options: WadoRouteOptions) {
  return async (c: Context): Promise<Response> => {
    const choices = await services.retrieve.metadata.prepare(
      scopeOf(c),
      baseOf(c, options),
      actorOf(c),
    );
    const { offer } = negotiateOrThrow(acceptOf(c.req), choices.offers);
    return respond(c, choices.choose({ offer }));
  };
}

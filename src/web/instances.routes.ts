/**
 * GET /studies/{s}[/series/{se}[/instances/{i}]] — Retrieve Instances (PS3.18 10.4.1.1.1):
 * what can be sent and how is services/retrieve-instances.ts; here only the Accept header.
 *
 * Offline tiers: the first instance is opened before the status line, so a study whose first
 * instance is offline answers 503 + Retry-After; a later offline instance can only abort the
 * stream (the status is sent) — the client sees a truncated multipart body, never a silent gap.
 */
import type { Context } from 'hono';
import type { Services } from '../services/services.js';
import { actorOf } from './actor.js';
import { acceptOf, negotiateOrThrow } from './negotiate.js';
import { respond, scopeOf } from './representation.js';

export function instancesHandler(services: Services) {
  return async (c: Context): Promise<Response> => {
    const choices = await services.retrieve.instances.prepare(scopeOf(c), actorOf(c));
    const { offer, range } = negotiateOrThrow(acceptOf(c.req), choices.offers);
    const plan = choices.choose({
      offer,
      transferSyntax: range.params['transfer-syntax'],
      signal: c.req.raw.signal,
    });
    return respond(c, plan);
  };
}

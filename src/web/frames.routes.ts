/**
 * GET …/instances/{i}/frames/{list} — Retrieve Frames (PS3.18 10.4.1.1.4): the frame list from
 * the path, the Accept header against what services/retrieve-frames.ts offers.
 */
import type { Context } from 'hono';
import { InvalidFrameListError } from '../services/errors.js';
import type { Services } from '../services/services.js';
import { actorOf } from './actor.js';
import { acceptOf, negotiateOrThrow } from './negotiate.js';
import { respond, scopeOf } from './representation.js';

/** `1,3,5` → [1, 3, 5]; PS3.18 10.4.1.1.4: positive integers, no duplicates. */
export function parseFrameList(text: string): number[] {
  const frames = text.split(',').map((part) => {
    if (!/^\d{1,9}$/.test(part.trim()))
      throw new InvalidFrameListError(
        'the frame list must be comma-separated frame numbers from 1',
      );
    return Number(part.trim());
  });
  if (new Set(frames).size !== frames.length)
    throw new InvalidFrameListError('the frame list repeats a frame number');
  return frames;
}

export function framesHandler(services: Services) {
  return async (c: Context): Promise<Response> => {
    const scope = scopeOf(c);
    const frames = parseFrameList(c.req.param('frames') ?? '');
    const choices = await services.retrieve.frames.prepare(
      { ...scope, instance: scope.instance ?? '' },
      frames,
      actorOf(c),
    );
    const { offer, range } = negotiateOrThrow(acceptOf(c.req), choices.offers);
    const plan = choices.choose({
      offer,
      transferSyntax: range.params['transfer-syntax'],
      signal: c.req.raw.signal,
    });
    return respond(c, plan, { crossOrigin: true });
  };
}

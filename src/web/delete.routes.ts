import type { Context } from 'hono';
import type { Services } from '../services/services.js';
import { actorOf } from './actor.js';

/**
 * DELETE of a study, series or instance: not in PS3.18, but every archive UI expects it on the
 * resource URL. 204 when done, 404 (problem+json) when nothing matched.
 */
export function deleteHandler(services: Services) {
  return async (c: Context): Promise<Response> => {
    await services.delete.delete(
      {
        studyInstanceUid: c.req.param('study')!,
        seriesInstanceUid: c.req.param('series'),
        sopInstanceUid: c.req.param('instance'),
      },
      actorOf(c),
    );
    return c.body(null, 204);
  };
}

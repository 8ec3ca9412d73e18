/**
 * GET …/instances/{i}/bulkdata/{path} — Retrieve Bulk Data (PS3.18 10.4.1.1.5): every
 * BulkDataURI the metadata hands out resolves here (services/retrieve-bulk-data.ts). A request
 * with a Range gets the single-part answer (OHIF `singlepart: 'bulkdata'` asks for it too):
 * RFC 9110 §14, one range, 206 with Content-Range; 416 when unsatisfiable.
 */
import type { Context } from 'hono';
import { RangeNotSatisfiableError } from '../services/errors.js';
import type { ValueRange } from '../services/retrieve-bulk-data.js';
import type { Services } from '../services/services.js';
import { actorOf } from './actor.js';
import { acceptOf, negotiateOrThrow } from './negotiate.js';
import { respond, scopeOf } from './representation.js';

/** RFC 9110 §14.1.2: one `bytes=` range over `size` bytes; undefined = whole (or ignored). */
export function parseRange(header: string | undefined, size: number): ValueRange | undefined {
  if (!header) return undefined;
  const match = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  // Several ranges or another unit: a server may ignore Range (RFC 9110 §14.2).
  if (!match) return undefined;
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return undefined;
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0) throw new RangeNotSatisfiableError(size);
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (start >= size || end < start) throw new RangeNotSatisfiableError(size);
  return { start, end };
}

export function bulkDataHandler(services: Services) {
  return async (c: Context): Promise<Response> => {
    const scope = scopeOf(c);
    const marker = '/bulkdata/';
    const path = decodeURIComponent(c.req.path.slice(c.req.path.indexOf(marker) + marker.length));
    const rangeHeader = c.req.header('range');
    const choices = await services.retrieve.bulkData.prepare(
      { study: scope.study, series: scope.series ?? '', instance: scope.instance ?? '' },
      path,
      Boolean(rangeHeader),
      actorOf(c),
    );
    const { offer, range } = negotiateOrThrow(acceptOf(c.req), choices.offers);
    const plan = choices.choose({
      offer,
      transferSyntax: range.params['transfer-syntax'],
      signal: c.req.raw.signal,
      range: (size) => parseRange(rangeHeader, size),
    });
    // An unsatisfiable range throws RangeNotSatisfiableError: 416 with Content-Range (problem.ts).
    return respond(c, plan, { crossOrigin: true });
  };
}

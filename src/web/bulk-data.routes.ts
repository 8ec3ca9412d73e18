/**
 * GET …/instances/{i}/bulkdata/{path} — Retrieve Bulk Data (PS3.18 10.4.1.1.5): every
 * BulkDataURI the metadata hands out resolves here. `multipart/related;
 * type=application/octet-stream` by default, single-part `application/octet-stream` when asked
 * (OHIF `singlepart: 'bulkdata'`) or when the request has a Range (RFC 9110 §14: one range,
 * 206 with Content-Range; 416 when unsatisfiable). Encapsulated Pixel Data is served frame by
 * frame, as PS3.18 8.7.3.3.2 says compressed bulk data is (no item headers).
 */
import type { Context } from 'hono';
import { TransferSyntax } from '../dicom/uid.js';
import { RangeNotSatisfiableError } from '../services/errors.js';
import { assertFrames, numberOfFramesOf } from '../services/frame-source.js';
import type { ValueRange } from '../services/retrieve-bulk-data.js';
import type { Services } from '../services/services.js';
import { newBoundary, writeMultipartRelated } from './multipart/related-writer.js';
import { acceptOf, negotiateOrThrow, type Offer } from './negotiate.js';
import { PROBLEM_JSON, problemOf } from './problem.js';
import { framesResponse } from './frames.routes.js';
import { cacheHeaders, etagOf, notModified, scopeOf, streamResponse } from './representation.js';

const OCTETS = 'application/octet-stream';
const SYNTAXES = [TransferSyntax.ExplicitVRLittleEndian, '*'];

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
    const target = await services.retrieve.bulkData.find(
      { study: scope.study, series: scope.series ?? '', instance: scope.instance ?? '' },
      path,
    );
    const { row, ref } = target;
    if (row.pixelData && ref.path === row.pixelData.tag) {
      const instance = await services.retrieve.lookup.findForFrames({
        ...scope,
        instance: scope.instance ?? '',
      });
      const all = Array.from({ length: numberOfFramesOf(instance) }, (_, i) => i + 1);
      // Pixel data shorter than its image geometry would reach a viewer as a body it cannot
      // tell from a whole one: answer the problem before the first byte instead.
      assertFrames(instance, all);
      if (row.pixelData.kind === 'encapsulated') return framesResponse(c, services, instance, all);
    }

    const rangeHeader = c.req.header('range');
    const single: Offer = { type: OCTETS, transferSyntaxes: SYNTAXES };
    const multi: Offer = {
      type: 'multipart/related',
      params: { type: OCTETS },
      transferSyntaxes: SYNTAXES,
    };
    const negotiated = negotiateOrThrow(
      acceptOf(c.req),
      rangeHeader ? [single, multi] : [multi, single],
    );
    const etag = etagOf(['bulk', row.id, row.version, row.sha256, ref.path, negotiated.offer.type]);
    const headers: Record<string, string> = {
      ...cacheHeaders(etag, true),
      'Accept-Ranges': 'bytes',
      'Cross-Origin-Resource-Policy': 'cross-origin',
    };
    const unchanged = notModified(c, etag, headers);
    if (unchanged) return unchanged;

    let range: ValueRange | undefined;
    try {
      range = negotiated.offer === single ? parseRange(rangeHeader, ref.length) : undefined;
    } catch (error) {
      if (!(error instanceof RangeNotSatisfiableError)) throw error;
      return new Response(JSON.stringify(problemOf(error)), {
        status: 416,
        headers: { 'Content-Type': PROBLEM_JSON, 'Content-Range': `bytes */${ref.length}` },
      });
    }
    const body = await services.retrieve.bulkData.open(target, range, c.req.raw.signal);
    const partType = `${OCTETS}; transfer-syntax=${TransferSyntax.ExplicitVRLittleEndian}`;
    if (negotiated.offer === single) {
      if (range) {
        headers['Content-Range'] = `bytes ${range.start}-${range.end}/${ref.length}`;
        headers['Content-Length'] = String(range.end - range.start + 1);
      } else {
        headers['Content-Length'] = String(ref.length);
      }
      return streamResponse(body, range ? 206 : 200, { ...headers, 'Content-Type': partType });
    }
    const boundary = newBoundary();
    return streamResponse(
      writeMultipartRelated([{ headers: { 'Content-Type': partType }, body }], boundary),
      200,
      { ...headers, 'Content-Type': `multipart/related; type="${OCTETS}"; boundary=${boundary}` },
    );
  };
}

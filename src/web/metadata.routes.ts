/**
 * GET …/metadata at study, series and instance level — Retrieve Metadata (PS3.18 10.4.1.1.2):
 * `application/dicom+json` from the index, streamed batch by batch, BulkDataURIs absolute under
 * the public base URL (so they resolve behind a proxy).
 */
import { Readable } from 'node:stream';
import type { Context } from 'hono';
import type { Services } from '../services/services.js';
import { acceptOf, negotiateOrThrow } from './negotiate.js';
import {
  baseOf,
  cacheHeaders,
  etagOf,
  notModified,
  scopeOf,
  streamResponse,
  type WadoRouteOptions,
} from './representation.js';

const DICOM_JSON = 'application/dicom+json';

export function metadataHandler(services: Services, options: WadoRouteOptions) {
  return async (c: Context): Promise<Response> => {
    const scope = scopeOf(c);
    const rows = await services.retrieve.metadata.find(scope);
    negotiateOrThrow(acceptOf(c.req), [{ type: DICOM_JSON }, { type: 'application/json' }]);
    const base = baseOf(c, options);
    const etag = etagOf(['metadata', base, ...rows.map((r) => `${r.id}:${r.version}:${r.sha256}`)]);
    const headers = cacheHeaders(etag, scope.instance !== undefined);
    const unchanged = notModified(c, etag, headers);
    if (unchanged) return unchanged;
    const chunks = services.retrieve.metadata.json(
      rows,
      (r) =>
        `${base}/studies/${r.studyInstanceUid}/series/${r.seriesInstanceUid}/instances/${r.sopInstanceUid}`,
    );
    return streamResponse(Readable.from(chunks, { objectMode: false }), 200, {
      ...headers,
      'Content-Type': DICOM_JSON,
    });
  };
}

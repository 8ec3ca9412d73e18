import type { Context } from 'hono';
import { stringifyDicomJson } from '../dicom/json/dicom-json.js';
import type { Services } from '../services/services.js';
import { actorOf } from './actor.js';
import type { SearchResult } from '../services/search.js';
import { resolveBaseUrl, type BaseUrlOptions } from './base-url.js';
import { acceptOf, negotiateOrThrow, type Offer } from './negotiate.js';
import { newBoundary } from './multipart/related-writer.js';
import { toNativeDicomModel } from './qido-xml.js';

export interface QidoRouteOptions extends BaseUrlOptions {
  dicomwebRoot: string;
}

type Level = 'study' | 'series' | 'instance';

const DICOM_JSON = 'application/dicom+json';
const DICOM_XML = 'application/dicom+xml';

/**
 * QIDO-RS (PS3.18 10.6): the six GET search resources. The answer is `application/dicom+json`
 * (also for `Accept: application/json` or `*\/*`, and without Accept), or multipart XML.
 * No result is `204 No Content` with an empty body, in either format: PS3.18 8.3.4.4.1 says
 * "If (results <= 0) … a 204 (No Content) response shall be returned" (an offset past the last
 * match included), dcm4chee and the Microsoft server answer so, and dicomweb-client (OHIF)
 * turns a 204 into an empty list.
 */
export function qidoHandler(services: Services, level: Level, options: QidoRouteOptions) {
  return async (c: Context): Promise<Response> => {
    const format = negotiate(acceptOf(c.req));
    const base = resolveBaseUrl(c, options);
    const url = new URL(c.req.url);
    const result = await services.search.search({
      resource: {
        level,
        ...(c.req.param('study') !== undefined ? { studyInstanceUid: c.req.param('study') } : {}),
        ...(c.req.param('series') !== undefined
          ? { seriesInstanceUid: c.req.param('series') }
          : {}),
      },
      params: url.searchParams.entries(),
      retrieveBase: base + options.dicomwebRoot,
      actor: actorOf(c),
      queryString: url.search.slice(1),
    });
    const warnings = warningsOf(result, new URL(base).host);
    const headers: Record<string, string> = {};
    if (warnings.length > 0) headers['Warning'] = warnings.join(', ');
    if (result.datasets.length === 0) return c.body(null, 204, headers);
    if (format === 'json') {
      const body = `[${result.datasets.map(stringifyDicomJson).join(',')}]`;
      return c.body(body, 200, { ...headers, 'Content-Type': DICOM_JSON });
    }
    // PS3.18 8.7.3.2: one application/dicom+xml part per match.
    // A page is bounded by the limit, so it is built in memory like the JSON answer.
    const boundary = newBoundary();
    const parts = result.datasets.map(
      (ds) => `--${boundary}\r\nContent-Type: ${DICOM_XML}\r\n\r\n${toNativeDicomModel(ds)}\r\n`,
    );
    return c.body(`${parts.join('')}--${boundary}--\r\n`, 200, {
      ...headers,
      'Content-Type': `multipart/related; type="${DICOM_XML}"; boundary=${boundary}`,
    });
  };
}

/**
 * PS3.18 8.3.4.4.1: when more matches remain than were returned, a Warning says so; the other
 * texts come from the query (fuzzy matching not performed). RFC 9111 5.5 form:
 * `299 <agent> "<text>"`.
 */
export function warningsOf(result: SearchResult, agent: string): string[] {
  const texts = [...result.warnings];
  if (result.remaining > 0) {
    const n = result.remainingCapped ? `at least ${result.remaining}` : String(result.remaining);
    texts.push(
      `There are ${n} additional results that can be requested with offset=${result.nextOffset}`,
    );
  }
  return texts.map((text) => `299 ${agent} "${text.replace(/["\\]/g, '')}"`);
}

interface QidoOffer extends Offer {
  format: 'json' | 'xml';
}

/**
 * PS3.18 8.7.3 / 10.6.1.3: DICOM JSON (also for the generic JSON and wildcard ranges a browser
 * or fetch sends), or `multipart/related; type="application/dicom+xml"`. Negotiated by the
 * shared rules of negotiate.ts (q-values, most specific range, ties in this order).
 */
const OFFERS: readonly QidoOffer[] = [
  { type: DICOM_JSON, format: 'json' },
  { type: 'application/json', format: 'json' },
  { type: 'multipart/related', params: { type: DICOM_XML }, format: 'xml' },
];

export function negotiate(accept: string | undefined): 'json' | 'xml' {
  return negotiateOrThrow(accept, OFFERS).offer.format;
}

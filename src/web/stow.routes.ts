import type { Context } from 'hono';
import type { Logger } from '../lib/log.js';
import type { StoreOutcome } from '../services/outcomes.js';
import type { IncomingInstance } from '../services/store-many.js';
import type { Services } from '../services/services.js';
import { actorOf } from './actor.js';
import { assertUid } from '../services/uid-params.js';
import { resolveBaseUrl, type BaseUrlOptions } from './base-url.js';
import { BadRequestError, UnsupportedMediaTypeError } from './errors.js';
import { parseMediaType } from './media-type.js';
import { readMultipartFormData } from './multipart/form-data-reader.js';
import { readMultipartRelated } from './multipart/related-reader.js';
import type { MultipartPart } from './multipart/related-reader.js';
import { requestBody } from './node-streams.js';
import { settleStow } from './stow-partial.js';
import { stowResponse } from './stow-response.js';
import type { Readable } from 'node:stream';

export interface StowRouteOptions extends BaseUrlOptions {
  log: Logger;
  dicomwebRoot: string;
  maxParts: number;
}

const DICOM = 'application/dicom';
const DICOM_JSON = 'application/dicom+json';

/**
 * STOW-RS (PS3.18 10.5): `POST /studies[/{study}]`. Accepts
 * - `multipart/related; type="application/dicom"` (the standard form; quoted or not),
 * - `multipart/form-data` with DICOM files (browser uploads),
 * - a bare `application/dicom` body holding one instance (a common convenience).
 * Parts stream in one at a time (each one's fsync and commit overlap the next one's reading,
 * services/store-many.ts); nothing is buffered whole.
 */
export function stowHandler(services: Services, options: StowRouteOptions) {
  return async (c: Context): Promise<Response> => {
    const studyUid = c.req.param('study');
    if (studyUid !== undefined) assertUid(studyUid, 'StudyInstanceUID');
    const parts = partsOf(c, options);
    const result = await services.stow.store(incoming(parts), {
      actor: actorOf(c),
      studyInstanceUid: studyUid,
      signal: c.req.raw.signal,
    });
    // Stopped part-way with something stored: 202 listing it, not an error (stow-partial.ts).
    const { outcomes, warnings } = settleStow(result);
    if (outcomes.length === 0) throw new BadRequestError('the request holds no DICOM parts');
    logOutcomes(options.log, c, outcomes);
    const base = resolveBaseUrl(c, options) + options.dicomwebRoot;
    const response = stowResponse(
      outcomes,
      {
        study: (study) => `${base}/studies/${study}`,
        instance: (study, series, sop) =>
          `${base}/studies/${study}/series/${series}/instances/${sop}`,
      },
      studyUid,
    );
    const headers: Record<string, string> = { 'Content-Type': DICOM_JSON };
    if (warnings.length > 0) headers['Warning'] = warnings.join(', ');
    return c.body(JSON.stringify(response.body), response.status, headers);
  };
}

function partsOf(
  c: Context,
  options: StowRouteOptions,
): AsyncIterable<MultipartPart> | Iterable<MultipartPart> {
  const header = c.req.header('content-type');
  if (!header) {
    throw new UnsupportedMediaTypeError(
      'Content-Type is required: multipart/related; type="application/dicom"',
    );
  }
  const mediaType = parseMediaType(header);
  switch (mediaType.type) {
    case 'multipart/related': {
      const type = mediaType.params['type']?.toLowerCase();
      if (type !== undefined && type !== DICOM) {
        throw new UnsupportedMediaTypeError(
          `multipart/related of type "${type}" is not supported; send type="application/dicom" parts`,
        );
      }
      const boundary = mediaType.params['boundary'];
      if (!boundary) throw new BadRequestError('multipart/related without a boundary parameter');
      return readMultipartRelated(requestBody(c), boundary, { maxParts: options.maxParts });
    }
    case 'multipart/form-data':
      if (!mediaType.params['boundary']) {
        throw new BadRequestError('multipart/form-data without a boundary parameter');
      }
      return readMultipartFormData(requestBody(c), header, { maxParts: options.maxParts });
    case DICOM:
      return singlePart(requestBody(c));
    default:
      throw new UnsupportedMediaTypeError(
        `STOW-RS accepts multipart/related; type="application/dicom", not ${mediaType.type}`,
      );
  }
}

function singlePart(body: Readable): MultipartPart[] {
  return [{ index: 0, headers: { 'content-type': DICOM }, contentType: DICOM, body }];
}

/**
 * A part declares its own type; none means the request's `type` (RFC 2387). Browsers label
 * uploaded files application/octet-stream (or nothing) — accepted, the scanner decides.
 */
function partMediaTypeProblem(contentType: string | undefined): string | undefined {
  if (contentType === undefined) return undefined;
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  if (type === DICOM || type === 'application/octet-stream' || type === '') return undefined;
  return `part media type ${type} is not application/dicom`;
}

/** Multipart parts as STOW's instances, each refused up front when it declares a non-DICOM type. */
export async function* incoming(
  parts: AsyncIterable<MultipartPart> | Iterable<MultipartPart>,
): AsyncGenerator<IncomingInstance> {
  for await (const part of parts) {
    yield { body: part.body, refusal: partMediaTypeProblem(part.contentType) };
  }
}

/** One line per request for operators: counts, why each failure failed and each warning warned (PHI-free details). */
function logOutcomes(log: Logger, c: Context, outcomes: StoreOutcome[]): void {
  const failures = outcomes.flatMap((o) => (o.ok ? [] : [o]));
  const warnings = outcomes.flatMap((o) => (o.ok && o.warning !== undefined ? [o] : []));
  const fields = {
    requestId: c.get('requestId' as never) as string | undefined,
    stored: outcomes.filter((o) => o.ok && o.result !== 'duplicate').length,
    duplicates: outcomes.filter((o) => o.ok && o.result === 'duplicate').length,
    failed: failures.length,
    warned: warnings.length,
  };
  if (failures.length === 0 && warnings.length === 0) {
    log.info('stow', fields);
    return;
  }
  log.warn('stow', {
    ...fields,
    failures: failures.map((f) => ({ reason: `0x${f.reason.toString(16)}`, detail: f.detail })),
    warnings: warnings.map((w) => ({
      reason: `0x${(w.warning ?? 0).toString(16)}`,
      detail: w.warningDetail,
    })),
  });
}

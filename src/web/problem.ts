import type { Context } from 'hono';
import type { ContentfulStatusCode, UnofficialStatusCode } from 'hono/utils/http-status';
import { DICOM_ERROR_CODES, type DicomErrorCode } from '../dicom/errors.js';
import { ERROR_CODES, type ErrorCode } from '../lib/errors.js';
import type { Logger } from '../lib/log.js';
import { RangeNotSatisfiableError } from '../services/errors.js';

/**
 * THE map from errors to HTTP: status + `application/problem+json` (RFC 9457, formerly 7807).
 * Domain modules never know status codes; they throw typed errors with stable `code`s, and only
 * this table turns a code into a status. Codes are matched as strings so web/ need not import
 * storage/ or index/ (the dependency rule). Anything without a code of ours is a 500 with a fixed
 * message; the real error is logged with the request id.
 */

/** Every code of the project: lib/'s list (all modules but dicom/) and dicom/'s own. */
export type ProblemCode = ErrorCode | DicomErrorCode;
export const PROBLEM_CODES: readonly ProblemCode[] = [...ERROR_CODES, ...DICOM_ERROR_CODES];

/**
 * How a code is answered and logged. `failed`: the server's failure, logged as an error with
 * the whole error (cause chain included). `refused`: the client's request, load or tiering, not
 * a failure of ours, logged at info with the code only.
 */
interface Mapping {
  status: ContentfulStatusCode;
  log: 'error' | 'info';
}
const refused = (status: ContentfulStatusCode): Mapping => ({ status, log: 'info' });
const failed = (status: ContentfulStatusCode): Mapping => ({ status, log: 'error' });

/**
 * The client closed the connection before the answer (nginx's 499; no RFC status says "the
 * client left"). Nobody reads the answer; the status is for the logs, where a hang-up must not
 * look like a server failure.
 */
const CLIENT_CLOSED_REQUEST = 499 as UnofficialStatusCode;

/**
 * Typed by every code: a code added to ERROR_CODES or DICOM_ERROR_CODES without a line here does
 * not compile. Codes that only start-up or background work throw (never a request) still get a
 * deliberate status, so that one reaching a request one day is answered on purpose.
 */
const PROBLEMS: Record<ProblemCode, Mapping> = {
  // lib/
  'lib.size_limit_exceeded': refused(413),
  // Start-up only (the data directory of another running process): a server-side 500.
  'lib.directory_locked': failed(500),
  // Start-up only (a bad setting): the server's configuration, not the request, is at fault.
  'config.invalid': failed(500),

  // dicom/ — at ingest the STOW service turns its scan errors into per-instance FailureReasons
  // (0xC000, 0xA700, 0xC122), so these reach this table only from other paths.
  // Thrown while reading a stored object (transcode, inflate, fragments): the object stored at
  // ingest no longer parses, a server-side failure like service.stored_layout.
  'dicom.parse': failed(500),
  // Only the ingest scan throws it; should one escape, the client's upload is not Part 10.
  'dicom.not_part10': refused(400),
  // Was imaging.unsupported_transfer_syntax (same status): rendering or decoding pixel data in a
  // syntax no decoder reads. PS3.18 §8.3.5: no acceptable representation, 406.
  'dicom.unsupported_transfer_syntax': refused(406),
  // Only the ingest scan throws it (the header cap); should one escape, the client's instance
  // is over a limit, like lib.size_limit_exceeded.
  'dicom.header_too_large': refused(413),
  // Frames of a stored object that cannot be told apart: as service.stored_layout.
  'dicom.frame_layout': failed(500),

  // imaging/
  'imaging.not_an_image': refused(406),
  'imaging.too_large': refused(406),
  'imaging.bad_parameter': refused(400),
  // Stored pixel data the codec rejects (a damaged codestream): the request is fine, the stored
  // object is not; 500 naming the cause rather than the anonymous internal error.
  'imaging.decode_failed': failed(500),
  // Every decode/render slot taken and the queue full: come back shortly (Retry-After). Load, not
  // a failure: logged as a refusal, like web.uploads_busy.
  'imaging.busy': refused(503),

  // storage/
  // The index names a blob the store does not have: our two stores disagree, which is damage on
  // our side, not a resource the client got wrong (that is service.not_found, from the index).
  'storage.blob_not_found': failed(500),
  // Keys are fresh ULIDs, never the client's: a collision is a fault of ours.
  'storage.blob_exists': failed(500),
  // Keys come from our index, never from the request: an invalid one is a fault of ours.
  'storage.invalid_key': failed(500),
  // Ranges into blobs are computed from the index (frame and bulk data offsets), never taken
  // from the client (whose Range is service.range_not_satisfiable): a blob shorter than the index
  // says is damage on our side.
  'storage.range_not_satisfiable': failed(500),
  'storage.unavailable': failed(503),
  // An offline tier restore is tiering, not a failure: logged as a refusal.
  'storage.offline': refused(503),
  'storage.full': failed(507),
  // The request's signal aborted the storage call: the client hung up. Not the server's failure.
  'storage.aborted': refused(CLIENT_CLOSED_REQUEST),
  // The body the STOW service hands to `put` is our own pipeline over the request part; a broken
  // part (truncated, idle, hung up) reaches the service as the part's own error first, so this
  // one means our pipeline failed.
  'storage.body_failed': failed(500),
  // Tampering or corruption detected on read (GCM tag, truncation): a server-side failure, not
  // the client's; 500 with the code, rather than 502, because the store is ours, not a gateway's.
  'storage.integrity': failed(500),
  'storage.key_unknown': failed(500),
  // Start-up only (a backend probe): the server's configuration is at fault.
  'storage.setting': failed(500),

  // index/
  'index.unavailable': failed(503),
  // The embedded index aborted; the process is stopping and will be restarted (cli/serve.ts).
  'index.aborted': failed(503),
  // The embedded index's disk is full (at start-up): RFC 4918 §11.5, like storage.full.
  'index.disk_full': failed(507),
  // The database refuses our credentials or has no such database (start-up): waiting does not
  // help, so no 503 with Retry-After; the server's configuration is at fault.
  'index.refused': failed(500),
  'qido.bad_parameter': refused(400),
  'qido.unknown_attribute': refused(400),

  // services/
  'service.not_found': refused(404),
  'service.invalid_uid': refused(400),
  'service.invalid_frame_list': refused(400),
  'service.frame_not_found': refused(404),
  // A frame the instance declares but its stored pixel data (kept as sent) is too short to
  // hold: like a frame beyond NumberOfFrames, it does not exist in the stored object.
  'service.frame_not_stored': refused(404),
  'service.no_pixel_data': refused(404),
  'service.bulk_data_not_found': refused(404),
  // Stored frames that cannot be told apart: the request is fine, the stored object is not.
  'service.stored_layout': failed(500),
  'service.not_acceptable': refused(406),
  // RFC 9110 §15.5.17; the answer carries `Content-Range: bytes */size` (see problemResponse).
  'service.range_not_satisfiable': refused(416),
  // HSM copy verification (background cycles, or the admin run): the bytes read back differ
  // from the index, a server-side failure.
  'hsm.verify_mismatch': failed(500),

  // web/
  'web.bad_request': refused(400),
  'web.bad_media_type': refused(400),
  'web.unsupported_media_type': refused(415),
  'web.request_idle': refused(408),
  'web.uploads_busy': refused(503),
  'web.client_uploads_busy': refused(429),
  // No route for this method and path (hono's notFound).
  'web.no_route': refused(404),
  'multipart.no_parts': refused(400),
  'multipart.truncated': refused(400),
  'multipart.bad_headers': refused(400),
  'multipart.bad_boundary': refused(400),
  'multipart.too_many_parts': refused(413),

  // auth/ — RFC 6750 §3: 401 carries WWW-Authenticate (see problemResponse).
  'auth.unauthenticated': refused(401),
  'auth.invalid_token': refused(401),
  // Authenticated but the role lacks the action. Out-of-scope patients are 404 (service.not_found),
  // never 403, so existence is not confirmed.
  'auth.forbidden': refused(403),
  'auth.rate_limited': refused(429),
  // RFC 6749 §5.2: the token endpoint answers a bad grant (password, code, refresh) with 400.
  'auth.invalid_grant': refused(400),
  'auth.invalid_request': refused(400),
  // The audit record of a request could not be written durably: the request is not served.
  'audit.unavailable': failed(503),
};

/** RFC 9110 §15 reason phrases, plus RFC 4918's 507 and nginx's 499. */
const TITLES: Partial<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  406: 'Not Acceptable',
  408: 'Request Timeout',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  416: 'Range Not Satisfiable',
  429: 'Too Many Requests',
  499: 'Client Closed Request',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
  507: 'Insufficient Storage',
};

export const PROBLEM_JSON = 'application/problem+json';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ProblemCode | 'internal';
  requestId?: string;
}

export function problemOf(error: unknown): Problem {
  const mapping = mappingOf(error);
  if (mapping === undefined) {
    return {
      type: 'about:blank',
      title: TITLES[500]!,
      status: 500,
      detail: 'The server failed to handle the request; the error is logged with the request id.',
      code: 'internal',
    };
  }
  return {
    type: 'about:blank',
    title: TITLES[mapping.status] ?? 'Error',
    status: mapping.status,
    detail: mapping.detail,
    code: mapping.code,
  };
}

/** The mapping of one of our errors; undefined for anything else (a bug, a foreign error). */
function mappingOf(error: unknown): (Mapping & { code: ProblemCode; detail: string }) | undefined {
  if (!(error instanceof Error)) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code !== 'string' || !Object.hasOwn(PROBLEMS, code)) return undefined;
  return { ...PROBLEMS[code as ProblemCode], code: code as ProblemCode, detail: error.message };
}

/** hono onError and notFound handler: every problem+json answer of the server is made here. */
export function problemResponse(error: unknown, c: Context, log: Logger): Response {
  const problem = problemOf(error);
  const requestId = c.get('requestId' as never) as string | undefined;
  if (requestId) problem.requestId = requestId;
  if ((mappingOf(error)?.log ?? 'error') === 'error') {
    log.error('request failed', { requestId, error });
  } else {
    log.info('request refused', { requestId, status: problem.status, code: problem.code });
  }
  const headers: Record<string, string> = { 'Content-Type': PROBLEM_JSON };
  // Errors that know when to come back (offline tier restores) say so (RFC 9110 10.2.3).
  const retryAfter = (error as { retryAfterSeconds?: unknown } | null)?.retryAfterSeconds;
  if (typeof retryAfter === 'number' && Number.isFinite(retryAfter)) {
    headers['Retry-After'] = String(Math.max(0, Math.ceil(retryAfter)));
  }
  // RFC 6750 §3: a 401 names the scheme (and the error) the client must use.
  const challenge = (error as { wwwAuthenticate?: unknown } | null)?.wwwAuthenticate;
  if (typeof challenge === 'string') headers['WWW-Authenticate'] = challenge;
  // RFC 9110 §14.4: a 416 says how long the representation is.
  if (error instanceof RangeNotSatisfiableError) {
    headers['Content-Range'] = `bytes */${error.size}`;
  }
  return c.body(JSON.stringify(problem), problem.status as ContentfulStatusCode, headers);
}

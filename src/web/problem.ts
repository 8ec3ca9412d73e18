import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { Logger } from '../lib/log.js';

/**
 * THE map from errors to HTTP: status + `application/problem+json` (RFC 9457, formerly 7807).
 * Domain modules never know status codes; they throw typed errors with stable `code`s, and only
 * this table turns a code into a status. Codes are matched as strings so web/ need not import
 * storage/ or index/ (the dependency rule). Anything unknown is a 500 with a fixed message; the
 * real error is logged with the request id.
 */
const STATUS_BY_CODE: Record<string, ContentfulStatusCode> = {
  'web.bad_request': 400,
  'web.bad_media_type': 400,
  'web.unsupported_media_type': 415,
  'web.request_idle': 408,
  'web.client_uploads_busy': 429,
  'web.uploads_busy': 503,
  'multipart.no_parts': 400,
  'multipart.truncated': 400,
  'multipart.bad_headers': 400,
  'multipart.bad_boundary': 400,
  'multipart.too_many_parts': 413,
  'lib.size_limit_exceeded': 413,
  'service.invalid_uid': 400,
  'qido.bad_parameter': 400,
  'qido.unknown_attribute': 400,
  'service.not_found': 404,
  'service.invalid_frame_list': 400,
  'service.frame_not_found': 404,
  // A frame the instance declares but its stored pixel data (kept as sent) is too short to
  // hold: like a frame beyond NumberOfFrames, it does not exist in the stored object.
  'service.frame_not_stored': 404,
  // Stored frames that cannot be told apart: the request is fine, the stored object is not.
  'service.stored_layout': 500,
  'service.no_pixel_data': 404,
  'service.bulk_data_not_found': 404,
  'service.not_acceptable': 406,
  'service.range_not_satisfiable': 416,
  'web.unauthorized': 401,
  'imaging.unsupported_transfer_syntax': 406,
  'imaging.not_an_image': 406,
  'imaging.too_large': 406,
  'imaging.bad_parameter': 400,
  // Stored pixel data the codec rejects (a damaged codestream): the request is fine, the stored
  // object is not; 500 naming the cause rather than the anonymous internal error.
  'imaging.decode_failed': 500,
  // Every decode/render slot taken and the queue full: come back shortly (Retry-After).
  'imaging.busy': 503,
  'storage.unavailable': 503,
  'storage.offline': 503,
  'storage.full': 507,
  // Tampering or corruption detected on read (GCM tag, truncation): a server-side failure, not
  // the client's; 500 with the code, rather than 502, because the store is ours, not a gateway's.
  'storage.integrity': 500,
  'storage.key_unknown': 500,
  'index.unavailable': 503,
  // The embedded index aborted; the process is stopping and will be restarted (cli/serve.ts).
  'index.aborted': 503,
};

const TITLES: Partial<Record<ContentfulStatusCode, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  404: 'Not Found',
  406: 'Not Acceptable',
  408: 'Request Timeout',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  416: 'Range Not Satisfiable',
  429: 'Too Many Requests',
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
  code: string;
  requestId?: string;
}

export function problemOf(error: unknown): Problem {
  const code = codeOf(error);
  const status = code !== undefined ? STATUS_BY_CODE[code] : undefined;
  if (status === undefined || !(error instanceof Error)) {
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
    title: TITLES[status] ?? 'Error',
    status,
    detail: error.message,
    code: code!,
  };
}

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** 5xx answers that are load or tiering, not failures: logged as refusals, not errors. */
const EXPECTED_UNAVAILABLE = new Set(['storage.offline', 'web.uploads_busy']);

/** hono onError handler. */
export function problemResponse(error: unknown, c: Context, log: Logger): Response {
  const problem = problemOf(error);
  const requestId = c.get('requestId' as never) as string | undefined;
  if (requestId) problem.requestId = requestId;
  if (problem.status >= 500 && !EXPECTED_UNAVAILABLE.has(problem.code)) {
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
  return c.body(JSON.stringify(problem), problem.status as ContentfulStatusCode, headers);
}

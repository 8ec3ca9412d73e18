import { Hono } from 'hono';
import {
  ForbiddenError,
  InvalidAuthRequestError,
  InvalidGrantError,
  InvalidTokenError,
  RateLimitedError,
  UnauthenticatedError,
} from '../auth/errors.js';
import { AuditUnavailableError } from '../audit/errors.js';
import { describe, expect, it } from 'vitest';
import {
  DicomParseError,
  FrameLayoutError,
  HeaderTooLargeError,
  NotPart10Error,
  UnsupportedTransferSyntaxError,
} from '../dicom/errors.js';
import { SizeLimitExceededError } from '../lib/errors.js';
import { createLogger } from '../lib/log.js';
import {
  BulkDataNotFoundError,
  FrameNotFoundError,
  FrameNotStoredError,
  InvalidFrameListError,
  InvalidUidError,
  NoPixelDataError,
  NotAcceptableError,
  RangeNotSatisfiableError,
  ResourceNotFoundError,
  StoredLayoutError,
} from '../services/errors.js';
import {
  BadRequestError,
  ClientUploadsBusyError,
  RequestIdleError,
  RouteNotFoundError,
  UnsupportedMediaTypeError,
  UploadsBusyError,
} from './errors.js';
import { MediaTypeError } from './media-type.js';
import {
  BadPartHeadersError,
  InvalidBoundaryError,
  NoPartsError,
  TooManyPartsError,
  TruncatedMultipartError,
} from './multipart/errors.js';
import {
  PROBLEM_CODES,
  PROBLEM_JSON,
  problemOf,
  problemResponse,
  type ProblemCode,
} from './problem.js';

interface Expected {
  status: number;
  title: string;
  log: 'error' | 'info';
  /** The Retry-After header, for errors that carry `retryAfterSeconds`. */
  retryAfter?: string;
  /**
   * The error as thrown. Classes web/ may not import (storage/, index/, imaging/, config, hsm)
   * are stood in for by an Error with the same code and fields: problem.ts matches codes, not
   * classes, so that is what it sees of them.
   */
  error: () => Error;
}

const like = (code: string, fields: Record<string, unknown> = {}): Error =>
  Object.assign(new Error(`a ${code} error`), { code }, fields);

const BAD_REQUEST = { status: 400, title: 'Bad Request', log: 'info' } as const;
const NOT_FOUND = { status: 404, title: 'Not Found', log: 'info' } as const;
const NOT_ACCEPTABLE = { status: 406, title: 'Not Acceptable', log: 'info' } as const;
const TOO_LARGE = { status: 413, title: 'Content Too Large', log: 'info' } as const;
const INTERNAL = { status: 500, title: 'Internal Server Error', log: 'error' } as const;
const UNAVAILABLE = { status: 503, title: 'Service Unavailable', log: 'error' } as const;
const INSUFFICIENT = { status: 507, title: 'Insufficient Storage', log: 'error' } as const;

/** Typed by every code: a code added without a row here does not compile either. */
const EXPECTED: Record<ProblemCode, Expected> = {
  'lib.size_limit_exceeded': { ...TOO_LARGE, error: () => new SizeLimitExceededError(10) },
  'lib.directory_locked': { ...INTERNAL, error: () => like('lib.directory_locked') },
  'config.invalid': { ...INTERNAL, error: () => like('config.invalid') },

  'dicom.parse': { ...INTERNAL, error: () => new DicomParseError('truncated at byte 9', 9) },
  'dicom.not_part10': { ...BAD_REQUEST, error: () => new NotPart10Error() },
  'dicom.unsupported_transfer_syntax': {
    ...NOT_ACCEPTABLE,
    error: () => new UnsupportedTransferSyntaxError('cannot decode', ['1.2.840.10008.1.2.1']),
  },
  'dicom.header_too_large': { ...TOO_LARGE, error: () => new HeaderTooLargeError(64, 70) },
  'dicom.frame_layout': { ...INTERNAL, error: () => new FrameLayoutError('no fragments') },

  'imaging.not_an_image': { ...NOT_ACCEPTABLE, error: () => like('imaging.not_an_image') },
  'imaging.decode_failed': { ...INTERNAL, error: () => like('imaging.decode_failed') },
  'imaging.too_large': { ...NOT_ACCEPTABLE, error: () => like('imaging.too_large') },
  'imaging.bad_parameter': { ...BAD_REQUEST, error: () => like('imaging.bad_parameter') },
  'imaging.busy': {
    ...UNAVAILABLE,
    log: 'info',
    retryAfter: '1',
    error: () => like('imaging.busy', { retryAfterSeconds: 1 }),
  },

  'storage.blob_not_found': { ...INTERNAL, error: () => like('storage.blob_not_found') },
  'storage.blob_exists': { ...INTERNAL, error: () => like('storage.blob_exists') },
  'storage.invalid_key': { ...INTERNAL, error: () => like('storage.invalid_key') },
  'storage.range_not_satisfiable': {
    ...INTERNAL,
    error: () => like('storage.range_not_satisfiable', { size: 10 }),
  },
  'storage.unavailable': { ...UNAVAILABLE, error: () => like('storage.unavailable') },
  'storage.offline': {
    status: 503,
    title: 'Service Unavailable',
    log: 'info',
    // Rounded up, never a fraction (RFC 9110 10.2.3: delay-seconds is an integer).
    retryAfter: '3601',
    error: () => like('storage.offline', { retryAfterSeconds: 3600.5, restoreStarted: true }),
  },
  'storage.full': { ...INSUFFICIENT, error: () => like('storage.full') },
  'storage.aborted': {
    status: 499,
    title: 'Client Closed Request',
    log: 'info',
    error: () => like('storage.aborted'),
  },
  'storage.body_failed': { ...INTERNAL, error: () => like('storage.body_failed') },
  'storage.integrity': { ...INTERNAL, error: () => like('storage.integrity') },
  'storage.key_unknown': { ...INTERNAL, error: () => like('storage.key_unknown') },
  'storage.setting': { ...INTERNAL, error: () => like('storage.setting') },

  'index.unavailable': {
    ...UNAVAILABLE,
    retryAfter: '5',
    error: () => like('index.unavailable', { retryAfterSeconds: 5 }),
  },
  'index.disk_full': { ...INSUFFICIENT, error: () => like('index.disk_full') },
  'index.refused': { ...INTERNAL, error: () => like('index.refused') },
  'index.aborted': { ...UNAVAILABLE, error: () => like('index.aborted') },
  'qido.bad_parameter': { ...BAD_REQUEST, error: () => like('qido.bad_parameter') },
  'qido.unknown_attribute': { ...BAD_REQUEST, error: () => like('qido.unknown_attribute') },

  'service.not_found': { ...NOT_FOUND, error: () => new ResourceNotFoundError('study') },
  'service.invalid_uid': { ...BAD_REQUEST, error: () => new InvalidUidError('StudyInstanceUID') },
  'service.invalid_frame_list': {
    ...BAD_REQUEST,
    error: () => new InvalidFrameListError('frame 0'),
  },
  'service.frame_not_found': { ...NOT_FOUND, error: () => new FrameNotFoundError(3, 2) },
  'service.frame_not_stored': { ...NOT_FOUND, error: () => new FrameNotStoredError(3, 2, 4) },
  'service.no_pixel_data': { ...NOT_FOUND, error: () => new NoPixelDataError() },
  'service.bulk_data_not_found': { ...NOT_FOUND, error: () => new BulkDataNotFoundError() },
  'service.stored_layout': { ...INTERNAL, error: () => new StoredLayoutError('frames') },
  'service.not_acceptable': {
    ...NOT_ACCEPTABLE,
    error: () => new NotAcceptableError('no syntax', ['*']),
  },
  'service.range_not_satisfiable': {
    status: 416,
    title: 'Range Not Satisfiable',
    log: 'info',
    error: () => new RangeNotSatisfiableError(1234),
  },
  'hsm.verify_mismatch': { ...INTERNAL, error: () => like('hsm.verify_mismatch') },

  'web.bad_request': { ...BAD_REQUEST, error: () => new BadRequestError('no boundary') },
  'web.bad_media_type': {
    ...BAD_REQUEST,
    error: () => new MediaTypeError('missing "/"', 4),
  },
  'web.unsupported_media_type': {
    status: 415,
    title: 'Unsupported Media Type',
    log: 'info',
    error: () => new UnsupportedMediaTypeError('text/plain'),
  },
  'web.request_idle': {
    status: 408,
    title: 'Request Timeout',
    log: 'info',
    error: () => new RequestIdleError(30),
  },
  'web.uploads_busy': {
    status: 503,
    title: 'Service Unavailable',
    log: 'info',
    retryAfter: '2',
    error: () => new UploadsBusyError(8, 2),
  },
  'web.client_uploads_busy': {
    status: 429,
    title: 'Too Many Requests',
    log: 'info',
    retryAfter: '1',
    error: () => new ClientUploadsBusyError(2, 1),
  },
  'web.no_route': { ...NOT_FOUND, error: () => new RouteNotFoundError('GET') },
  'multipart.no_parts': { ...BAD_REQUEST, error: () => new NoPartsError() },
  'multipart.truncated': { ...BAD_REQUEST, error: () => new TruncatedMultipartError('cut') },
  'multipart.bad_headers': { ...BAD_REQUEST, error: () => new BadPartHeadersError(0, 'long') },
  'multipart.bad_boundary': { ...BAD_REQUEST, error: () => new InvalidBoundaryError('empty') },
  'multipart.too_many_parts': { ...TOO_LARGE, error: () => new TooManyPartsError(5) },

  'auth.unauthenticated': {
    status: 401,
    title: 'Unauthorized',
    log: 'info',
    error: () => new UnauthenticatedError(),
  },
  'auth.invalid_token': {
    status: 401,
    title: 'Unauthorized',
    log: 'info',
    error: () => new InvalidTokenError('expired'),
  },
  'auth.forbidden': {
    status: 403,
    title: 'Forbidden',
    log: 'info',
    error: () => new ForbiddenError('delete'),
  },
  'auth.rate_limited': {
    status: 429,
    title: 'Too Many Requests',
    log: 'info',
    retryAfter: '30',
    error: () => new RateLimitedError(29.2),
  },
  'auth.invalid_grant': { ...BAD_REQUEST, error: () => new InvalidGrantError() },
  'auth.invalid_request': { ...BAD_REQUEST, error: () => new InvalidAuthRequestError('no grant') },
  'audit.unavailable': {
    ...UNAVAILABLE,
    retryAfter: '5',
    error: () => new AuditUnavailableError(),
  },
};

/** Answers GET / by throwing `error`, with a log that keeps its lines. */
async function answer(error: unknown) {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger('debug', (line) =>
    lines.push(JSON.parse(line) as Record<string, unknown>),
  );
  const app = new Hono();
  app.use(async (c, next) => {
    c.set('requestId' as never, 'req-1' as never);
    await next();
  });
  app.get('/', () => {
    throw error;
  });
  app.onError((e, c) => problemResponse(e, c, log));
  const response = await app.request('/');
  return { response, body: (await response.json()) as Record<string, unknown>, lines };
}

describe('problemResponse', () => {
  it('has an expectation for every code, and every code is listed once', () => {
    expect(Object.keys(EXPECTED).sort()).toEqual([...PROBLEM_CODES].sort());
    expect(new Set(PROBLEM_CODES).size).toBe(PROBLEM_CODES.length);
  });

  it.each(PROBLEM_CODES.map((code) => [code, EXPECTED[code]] as const))(
    '%s: status, title, problem+json body, Retry-After and log level',
    async (code, expected) => {
      const error = expected.error();
      expect((error as { code?: unknown }).code).toBe(code);
      const { response, body, lines } = await answer(error);

      expect(response.status).toBe(expected.status);
      expect(response.headers.get('content-type')).toBe(PROBLEM_JSON);
      expect(body).toEqual({
        type: 'about:blank',
        title: expected.title,
        status: expected.status,
        detail: error.message,
        code,
        requestId: 'req-1',
      });
      expect(response.headers.get('retry-after')).toBe(expected.retryAfter ?? null);

      expect(lines).toHaveLength(1);
      const [line] = lines;
      if (expected.log === 'error') {
        expect(line).toMatchObject({ level: 'error', msg: 'request failed', requestId: 'req-1' });
        expect(line?.['error']).toMatchObject({ code });
      } else {
        expect(line).toEqual(
          expect.objectContaining({
            level: 'info',
            msg: 'request refused',
            requestId: 'req-1',
            status: expected.status,
            code,
          }),
        );
      }
    },
  );

  it('says how long the bulk data is on a 416 (Content-Range: bytes */size)', async () => {
    const { response } = await answer(new RangeNotSatisfiableError(1234));
    expect(response.headers.get('content-range')).toBe('bytes */1234');
    const other = await answer(new ResourceNotFoundError('study'));
    expect(other.response.headers.get('content-range')).toBeNull();
  });

  it.each([
    ['a bug', new TypeError('x is undefined')],
    ['a foreign code', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })],
    ['an unknown code of our shape', like('storage.no_such_code')],
    ['a code inherited from Object.prototype', like('constructor')],
  ])('answers %s with a fixed 500 and logs it as an error', async (_, error) => {
    const { response, body, lines } = await answer(error);
    expect(response.status).toBe(500);
    expect(body).toEqual({
      type: 'about:blank',
      title: 'Internal Server Error',
      status: 500,
      detail: 'The server failed to handle the request; the error is logged with the request id.',
      code: 'internal',
      requestId: 'req-1',
    });
    expect(response.headers.get('retry-after')).toBeNull();
    expect(lines).toEqual([expect.objectContaining({ level: 'error', msg: 'request failed' })]);
  });

  it('never maps a non-Error, even one shaped like ours', () => {
    expect(problemOf({ code: 'service.not_found', message: 'x' })).toMatchObject({
      status: 500,
      code: 'internal',
    });
  });
});

import { problem, response, schema } from './components.js';
import type { ApiArea, Json } from './types.js';

/**
 * Resumable uploads, tus 1.0.0 (web/uploads/uploads.routes.ts; https://tus.io/protocols/resumable-upload).
 * Protocol refusals are tus's own plain-text answers; the server's (busy, unsupported type,
 * index or storage unavailable) are problem+json as everywhere.
 */

const header = (name: string, description: string, s: Json, required = false): Json => ({
  name,
  in: 'header',
  required,
  description,
  schema: s,
});
const integer = { type: 'integer', minimum: 0 };

const TUS_RESUMABLE = header(
  'Tus-Resumable',
  'The protocol version: every request but OPTIONS sends it (412 otherwise)',
  { const: '1.0.0' },
  true,
);
const UPLOAD_OFFSET = (required: boolean) =>
  header(
    'Upload-Offset',
    'Where the bytes of this request go: the offset HEAD reported (409 at any other)',
    integer,
    required,
  );
const ID: Json = {
  name: 'id',
  in: 'path',
  required: true,
  description: 'The upload, from the Location of its creation',
  schema: { type: 'string' },
};

/** Answer headers (every tus answer carries Tus-Resumable). */
const h = (description: string, s: Json = { type: 'string' }): Json => ({ description, schema: s });
const TUS = { 'Tus-Resumable': h('1.0.0', { const: '1.0.0' }) };
const OFFSET = { 'Upload-Offset': h('Bytes received so far', integer) };
const EXPIRES = { 'Upload-Expires': h('When an unfinished upload is deleted (RFC 9110 date)') };
const FINISHED = {
  'Strata-Stow-Status': h(
    'On the request that completed the upload: what POST /studies would have answered (200, 202, 409; or 400/413/415 for a body STOW refused whole)',
    { type: 'integer' },
  ),
  'Strata-Upload-Result': h('On a completed upload: the URL of GET /uploads/{id}/result'),
};

/** tus's own refusals: a short plain-text body. */
const plain = (description: string): Json => ({
  description,
  headers: TUS,
  content: { 'text/plain': { schema: { type: 'string' } } },
});

/** The result route's own problem+json: about:blank, without Strata's `code`. */
const bare = (description: string): Json => ({
  description,
  content: {
    'application/problem+json': {
      schema: {
        type: 'object',
        required: ['type', 'title', 'status', 'detail'],
        properties: {
          type: { const: 'about:blank' },
          title: { type: 'string' },
          status: { type: 'integer' },
          detail: { type: 'string' },
        },
      },
    },
  },
});

const BYTES: Json = {
  'application/offset+octet-stream': {
    schema: { type: 'string', contentMediaType: 'application/octet-stream' },
  },
};

const NOT_FOUND = plain(
  'No such upload: unknown, expired and swept, or created by another principal',
);
const BUSY = {
  '429': {
    ...problem('This client already sends STOW_MAX_CONCURRENT_UPLOADS_PER_CLIENT uploads'),
    headers: { 'Retry-After': { schema: { type: 'integer' } } },
  },
  '503': response('Unavailable'),
};

export const UPLOADS: ApiArea = {
  mount: 'root',
  routes: [
    {
      method: 'options',
      path: '/uploads',
      operation: {
        summary: 'tus discovery: the versions, extensions and largest upload this server takes',
        tags: ['Uploads'],
        responses: {
          '204': {
            description: 'What the server supports',
            headers: {
              ...TUS,
              'Tus-Version': h('1.0.0'),
              'Tus-Extension': h(
                'creation, creation-with-upload, creation-defer-length, termination, expiration',
              ),
              'Tus-Max-Size': h('UPLOAD_MAX_BYTES', { type: 'integer' }),
            },
          },
        },
      },
    },
    {
      method: 'post',
      path: '/uploads',
      operation: {
        summary: 'Create an upload (tus creation), optionally with its first bytes',
        description:
          'The upload belongs to the principal that creates it. A body sent along (creation-with-upload) is written at once; a body that is the whole upload runs STOW before the answer, as the last PATCH does.',
        tags: ['Uploads'],
        parameters: [
          TUS_RESUMABLE,
          header(
            'Upload-Length',
            'The upload’s size in bytes (at most UPLOAD_MAX_BYTES: 413 otherwise); or send Upload-Defer-Length',
            integer,
          ),
          header(
            'Upload-Defer-Length',
            '`1`: the size is not known yet; a later PATCH sends Upload-Length',
            { const: 1 },
          ),
          header(
            'Upload-Metadata',
            'Comma-separated `key base64(value)` pairs. `filetype` (or `contentType`): none, application/dicom or application/octet-stream = one Part 10 file; multipart/related; type="application/dicom"[; boundary=…] = a STOW body; any other type is refused with 415. `filename` is accepted and ignored.',
            { type: 'string' },
          ),
        ],
        requestBody: {
          required: false,
          description: 'The first bytes of the upload (creation-with-upload)',
          content: BYTES,
        },
        responses: {
          '201': {
            description: 'Created',
            headers: {
              ...TUS,
              Location: h('The upload’s URL, …/uploads/{id}'),
              ...EXPIRES,
              ...OFFSET,
              ...FINISHED,
            },
          },
          '400': plain('Upload-Length, Upload-Defer-Length or Upload-Metadata missing or invalid'),
          '412': plain('No or an unsupported Tus-Resumable'),
          '413': plain('Upload-Length over UPLOAD_MAX_BYTES; nothing was read'),
          '415': problem('Upload-Metadata declares a type that cannot be stored'),
          ...BUSY,
        },
      },
    },
    {
      method: 'get',
      path: '/uploads/:id',
      operation: {
        summary: 'The upload’s offset (tus HEAD; GET answers the same, without a body)',
        description:
          'Send HEAD, as tus clients do (the server answers HEAD through this route). After a cut connection, the offset is what reached this server’s disk: resume from it. A finished upload answers as complete (offset = length).',
        tags: ['Uploads'],
        parameters: [ID, TUS_RESUMABLE],
        responses: {
          '200': {
            description: 'Where the upload stands',
            headers: {
              ...TUS,
              ...OFFSET,
              'Upload-Length': h('The upload’s size, once known', integer),
              'Upload-Defer-Length': h('`1` while the size is not known', { const: 1 }),
              'Upload-Metadata': h('As sent at creation'),
              ...EXPIRES,
              ...FINISHED,
              'Cache-Control': h('no-store'),
            },
          },
          '404': NOT_FOUND,
          '410': plain('The upload expired'),
          '412': plain('No or an unsupported Tus-Resumable'),
        },
      },
    },
    {
      method: 'patch',
      path: '/uploads/:id',
      operation: {
        summary: 'Send bytes at an offset; the request bringing the last byte runs STOW',
        description:
          'The completing request answers only once STOW has committed (Strata-Stow-Status, Strata-Upload-Result). When STOW cannot run (index, storage or audit trail unavailable: 5xx) the bytes are kept: an empty PATCH at the final offset runs it again.',
        tags: ['Uploads'],
        parameters: [
          ID,
          TUS_RESUMABLE,
          UPLOAD_OFFSET(true),
          header(
            'Content-Type',
            'application/offset+octet-stream',
            { const: 'application/offset+octet-stream' },
            true,
          ),
          header(
            'Upload-Length',
            'For an upload created with Upload-Defer-Length: its size, once known',
            integer,
          ),
        ],
        requestBody: { required: true, content: BYTES },
        responses: {
          '204': {
            description: 'Written (and, on the last byte, stored through STOW)',
            headers: { ...TUS, ...OFFSET, ...EXPIRES, ...FINISHED },
          },
          '400': plain('A malformed header'),
          '403': {
            description:
              'No role grants write (problem+json), or tus: Upload-Offset or Content-Type missing (text/plain)',
            content: {
              'application/problem+json': { schema: schema('Problem') },
              'text/plain': { schema: { type: 'string' } },
            },
          },
          '404': NOT_FOUND,
          '409': plain('Upload-Offset is not the upload’s offset'),
          '410': plain('The upload expired'),
          '412': plain('No or an unsupported Tus-Resumable'),
          '413': plain('More bytes than Upload-Length'),
          ...BUSY,
        },
      },
    },
    {
      method: 'delete',
      path: '/uploads/:id',
      operation: {
        summary: 'Terminate an upload and delete its bytes (or forget a finished one’s result)',
        tags: ['Uploads'],
        parameters: [ID, TUS_RESUMABLE],
        responses: {
          '204': { description: 'Gone', headers: TUS },
          '404': NOT_FOUND,
          '412': plain('No or an unsupported Tus-Resumable'),
        },
      },
    },
    {
      method: 'get',
      path: '/uploads/:id/result',
      operation: {
        summary: 'The STOW response of a finished upload',
        description: `Kept for UPLOAD_EXPIRY_SECONDS after the upload finished. The STOW status is in ${'`Strata-Stow-Status`'}: a problem+json body when STOW refused the body whole.`,
        tags: ['Uploads'],
        parameters: [ID],
        responses: {
          '200': {
            description:
              'What POST /studies would have answered: ReferencedSOPSequence, FailedSOPSequence',
            headers: {
              'Strata-Stow-Status': FINISHED['Strata-Stow-Status'],
              Warning: h('STOW warnings, if any'),
              'Cache-Control': h('no-store'),
            },
            content: {
              'application/dicom+json': { schema: schema('DicomJsonDataset') },
              'application/problem+json': { schema: schema('Problem') },
            },
          },
          '404': bare('No such upload (or another principal’s)'),
          '409': bare('The upload is not finished; its result comes with its last byte'),
        },
      },
    },
  ],
};

import type { Json } from './types.js';

const ref = (kind: string, name: string) => ({ $ref: `#/components/${kind}/${name}` });
export const param = (name: string) => ref('parameters', name);
export const response = (name: string) => ref('responses', name);
export const schema = (name: string) => ref('schemas', name);

/** A JSON answer with the given description and schema. */
export const json = (description: string, s: Json = { type: 'object' }): Json => ({
  description,
  content: { 'application/json': { schema: s } },
});

/** A problem+json answer (RFC 9457) with the given description. */
export const problem = (description: string): Json => ({
  description,
  content: { 'application/problem+json': { schema: schema('Problem') } },
});

const uid = (description: string): Json => ({
  in: 'path',
  required: true,
  description,
  schema: { type: 'string', pattern: '^[0-9]+(\\.[0-9]+)*$', maxLength: 64 },
});

const query = (description: string, s: Json = { type: 'string' }): Json => ({
  in: 'query',
  required: false,
  description,
  schema: s,
});

/** Shared parameters: the UIDs of the Studies Service templates (PS3.18 10.3), query options. */
const parameters: Record<string, Json> = {
  study: { name: 'study', ...uid('Study Instance UID (0020,000D)') },
  series: { name: 'series', ...uid('Series Instance UID (0020,000E)') },
  instance: { name: 'instance', ...uid('SOP Instance UID (0008,0018)') },
  frames: {
    name: 'frames',
    in: 'path',
    required: true,
    description: 'Frame numbers, 1-based, comma-separated, no duplicates (PS3.18 10.4.1.1.4)',
    schema: { type: 'string', pattern: '^[1-9][0-9]*(,[1-9][0-9]*)*$' },
  },
  bulkDataPath: {
    name: 'bulkDataPath',
    in: 'path',
    required: true,
    description:
      'The rest of a BulkDataURI from the metadata (any depth; the server route is a wildcard)',
    schema: { type: 'string' },
  },
  accept: {
    name: 'accept',
    ...query('Media type(s) to answer with, overriding the Accept header (PS3.18 8.3.3.1)'),
  },
  limit: {
    name: 'limit',
    ...query('Results per page (QIDO_MAX_LIMIT caps it)', { type: 'integer', minimum: 0 }),
  },
  offset: { name: 'offset', ...query('Results to skip', { type: 'integer', minimum: 0 }) },
  fuzzymatching: {
    name: 'fuzzymatching',
    ...query('Accepted; matching is literal (a Warning header says so)', { type: 'boolean' }),
  },
  includefield: {
    name: 'includefield',
    ...query(
      'Attributes to return besides the default ones (tags or keywords, comma-separated, or `all`)',
    ),
  },
  match: {
    name: 'match',
    in: 'query',
    required: false,
    style: 'form',
    explode: true,
    description:
      'Attribute matching (PS3.18 8.3.4): `{attributeID}={value}` with a tag (`0010,0020` as `00100020`) or keyword (`PatientID`), dotted for sequences; values: single, UID list, wildcard `*`/`?`, range `a-b` for dates and times',
    schema: { type: 'object', additionalProperties: { type: 'string' } },
  },
  window: {
    name: 'window',
    ...query('center,width[,function] (linear, linear-exact, sigmoid) (PS3.18 8.3.5.1.4)'),
  },
  viewport: { name: 'viewport', ...query('vw,vh[,sx,sy,sw,sh] (PS3.18 8.3.5.1.3)') },
  quality: {
    name: 'quality',
    ...query('Lossy encoding quality 1–100 (PS3.18 8.3.5.1.2)', {
      type: 'integer',
      minimum: 1,
      maximum: 100,
    }),
  },
};

const schemas: Record<string, Json> = {
  Problem: {
    type: 'object',
    description: 'RFC 9457 problem details; `code` is Strata’s stable error code',
    required: ['type', 'title', 'status', 'code'],
    properties: {
      type: { type: 'string' },
      title: { type: 'string' },
      status: { type: 'integer' },
      detail: { type: 'string' },
      code: { type: 'string', examples: ['storage.blob_not_found', 'index.unavailable'] },
    },
  },
  DicomJsonDataset: {
    type: 'object',
    description: 'A dataset in the DICOM JSON Model (PS3.18 Annex F), keyed by 8-hex tag',
    propertyNames: { pattern: '^[0-9A-F]{8}$' },
    additionalProperties: {
      type: 'object',
      required: ['vr'],
      properties: {
        vr: { type: 'string' },
        Value: { type: 'array' },
        BulkDataURI: { type: 'string' },
        InlineBinary: { type: 'string' },
      },
    },
  },
  DicomJsonList: { type: 'array', items: schema('DicomJsonDataset') },
};

/** Every non-public route takes a bearer credential; which ones depend on AUTH_METHODS. */
const securitySchemes: Record<string, Json> = {
  bearer: {
    type: 'http',
    scheme: 'bearer',
    description:
      'One of: an OIDC access token (JWT, AUTH_METHODS=oidc), a built-in account’s token from POST /auth/token (JWT, AUTH_METHODS=account), an API key `strata_…` (AUTH_METHODS=api-key), or ADMIN_TOKEN (admin action only). The route’s `x-strata-action` is the action a role must grant.',
  },
};

const responses: Record<string, Json> = {
  BadRequest: problem('Bad request: a malformed parameter, path or body'),
  Unauthenticated: {
    ...problem('No or invalid credentials'),
    headers: { 'WWW-Authenticate': { schema: { type: 'string' } } },
  },
  Forbidden: problem('Authenticated, but no role grants the action'),
  NotFound: problem('Not found (or outside the caller’s patient scope)'),
  NotAcceptable: problem('None of the accepted media types or transfer syntaxes can be sent'),
  TooManyRequests: {
    ...problem('Rate limited (expensive routes, logins)'),
    headers: { 'Retry-After': { schema: { type: 'integer' } } },
  },
  Unavailable: {
    ...problem('The index or a storage tier is unavailable, or the server is busy'),
    headers: { 'Retry-After': { schema: { type: 'integer' } } },
  },
};

export const COMPONENTS: Json = { parameters, schemas, securitySchemes, responses };

import { param, problem, response, schema } from './components.js';
import type { ApiArea, Json, RouteDoc } from './types.js';

/**
 * The Studies Service (PS3.18 10.3, Table 10.3-2), relative to DICOMWEB_ROOT: one entry per
 * line of web/routes.ts. Media types as PS3.18 8.7.3 and docs: shared DICOMweb reference.
 */

const STUDY = '/studies/:study';
const SERIES = `${STUDY}/series/:series`;
const INSTANCE = `${SERIES}/instances/:instance`;

/** The path parameters of a template, in order. */
function pathParams(path: string): Json[] {
  return [...path.matchAll(/:([a-z]+)/g)].map((m) => param(m[1]!));
}

const DICOM_JSON = { 'application/dicom+json': { schema: schema('DicomJsonList') } };
const binary = { schema: { type: 'string', contentMediaType: 'application/octet-stream' } };

const READ_ERRORS = {
  '400': response('BadRequest'),
  '404': response('NotFound'),
  '406': response('NotAcceptable'),
  '503': response('Unavailable'),
};

function get(path: string, summary: string, extra: Json): RouteDoc {
  const { parameters = [], ...rest } = extra as { parameters?: Json[] };
  return {
    method: 'get',
    path,
    operation: {
      summary,
      tags: ['DICOMweb'],
      parameters: [...pathParams(path), ...parameters],
      ...rest,
    },
  };
}

function stow(path: string): RouteDoc {
  return {
    method: 'post',
    path,
    operation: {
      summary: 'Store Instances (STOW-RS, PS3.18 10.5)',
      tags: ['DICOMweb'],
      parameters: pathParams(path),
      requestBody: {
        required: true,
        description:
          'multipart/related; type="application/dicom": one Part 10 instance per part (multipart/form-data also accepted)',
        content: {
          'multipart/related': { schema: { type: 'string' } },
          'multipart/form-data': { schema: { type: 'string' } },
        },
      },
      responses: {
        '200': {
          description: 'All stored',
          content: { 'application/dicom+json': { schema: schema('DicomJsonDataset') } },
        },
        '202': {
          description:
            'Some stored; warnings or failures for others (ReferencedSOPSequence, FailedSOPSequence)',
          content: { 'application/dicom+json': { schema: schema('DicomJsonDataset') } },
        },
        '400': response('BadRequest'),
        '409': {
          description: 'Nothing stored: every instance failed (FailureReason per instance)',
          content: { 'application/dicom+json': { schema: schema('DicomJsonDataset') } },
        },
        '413': problem('Too many parts, or an instance over STOW_MAX_INSTANCE_BYTES'),
        '415': problem('Unsupported Content-Type'),
        '503': response('Unavailable'),
      },
    },
  };
}

function search(path: string, level: string): RouteDoc {
  return get(path, `Search for ${level} (QIDO-RS, PS3.18 10.6)`, {
    parameters: [
      param('match'),
      param('includefield'),
      param('fuzzymatching'),
      param('limit'),
      param('offset'),
      param('accept'),
    ],
    responses: {
      '200': {
        description: 'Matches (a Warning header tells of more pages)',
        content: { ...DICOM_JSON, 'multipart/related': { schema: { type: 'string' } } },
      },
      '204': { description: 'No match' },
      '400': response('BadRequest'),
      '413': problem('Too broad: narrow the query or page'),
      '503': response('Unavailable'),
    },
  });
}

function retrieve(path: string, level: string): RouteDoc {
  return get(path, `Retrieve ${level} instances (WADO-RS, PS3.18 10.4.1.1.1)`, {
    parameters: [param('accept')],
    responses: {
      '200': {
        description:
          'multipart/related; type="application/dicom"[; transfer-syntax=…] (default), application/zip, or application/dicom for one instance',
        content: {
          'multipart/related': { schema: { type: 'string' } },
          'application/zip': binary,
          'application/dicom': binary,
        },
      },
      '304': { description: 'Not modified (If-None-Match)' },
      ...READ_ERRORS,
    },
  });
}

function metadata(path: string, level: string): RouteDoc {
  return get(`${path}/metadata`, `Retrieve ${level} metadata (PS3.18 10.4.1.1.2)`, {
    parameters: [param('accept')],
    responses: {
      '200': { description: 'DICOM JSON, bulk data as BulkDataURI', content: DICOM_JSON },
      '304': { description: 'Not modified (If-None-Match)' },
      ...READ_ERRORS,
    },
  });
}

const IMAGE = { 'image/jpeg': binary, 'image/png': binary };

function rendered(path: string, kind: 'rendered' | 'thumbnail', level: string): RouteDoc {
  const title = kind === 'rendered' ? 'Retrieve rendered' : 'Retrieve thumbnail';
  const section = kind === 'rendered' ? '10.4.1.1.3' : '10.4.1.1.5';
  const options =
    kind === 'rendered'
      ? [param('window'), param('viewport'), param('quality')]
      : [param('viewport')];
  return get(`${path}/${kind}`, `${title}: ${level} (PS3.18 ${section})`, {
    parameters: [...options, param('accept')],
    responses: {
      '200': { description: 'The image (image/jpeg by default)', content: IMAGE },
      ...READ_ERRORS,
      '429': response('TooManyRequests'),
    },
  });
}

function remove(path: string, level: string): RouteDoc {
  return {
    method: 'delete',
    path,
    operation: {
      summary: `Delete a ${level} (not in PS3.18; as other archives do)`,
      tags: ['DICOMweb'],
      parameters: pathParams(path),
      responses: {
        '204': { description: 'Deleted' },
        '404': response('NotFound'),
        '503': response('Unavailable'),
      },
    },
  };
}

const FRAMES = `${INSTANCE}/frames/:frames`;

export const DICOMWEB: ApiArea = {
  mount: 'dicomweb',
  routes: [
    stow('/studies'),
    stow(STUDY),
    search('/studies', 'studies'),
    search('/series', 'series'),
    search(`${STUDY}/series`, 'series of a study'),
    search('/instances', 'instances'),
    search(`${STUDY}/instances`, 'instances of a study'),
    search(`${SERIES}/instances`, 'instances of a series'),
    retrieve(STUDY, 'a study’s'),
    retrieve(SERIES, 'a series’'),
    retrieve(INSTANCE, 'one'),
    metadata(STUDY, 'study'),
    metadata(SERIES, 'series'),
    metadata(INSTANCE, 'instance'),
    get(FRAMES, 'Retrieve frames (PS3.18 10.4.1.1.4)', {
      parameters: [param('accept')],
      responses: {
        '200': {
          description:
            'multipart/related; type="application/octet-stream" (native) or the stored compressed type (image/jls, image/jp2, …)',
          content: { 'multipart/related': { schema: { type: 'string' } } },
        },
        ...READ_ERRORS,
      },
    }),
    {
      ...get(`${INSTANCE}/bulkdata/*`, 'Retrieve bulk data by BulkDataURI (PS3.18 10.4.1.1.5)', {
        parameters: [param('bulkDataPath'), param('accept')],
        responses: {
          '200': {
            description: 'multipart/related; type="application/octet-stream"',
            content: { 'multipart/related': { schema: { type: 'string' } } },
          },
          '206': { description: 'A byte range (Range header)' },
          ...READ_ERRORS,
        },
      }),
    },
    rendered(STUDY, 'rendered', 'study'),
    rendered(SERIES, 'rendered', 'series'),
    rendered(INSTANCE, 'rendered', 'instance'),
    rendered(FRAMES, 'rendered', 'frames'),
    rendered(STUDY, 'thumbnail', 'study'),
    rendered(SERIES, 'thumbnail', 'series'),
    rendered(INSTANCE, 'thumbnail', 'instance'),
    rendered(FRAMES, 'thumbnail', 'frames'),
    remove(STUDY, 'study'),
    remove(SERIES, 'series'),
    remove(INSTANCE, 'instance'),
  ],
};

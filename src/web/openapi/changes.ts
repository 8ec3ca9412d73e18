import { json, problem, response, schema } from './components.js';
import type { ApiArea, Json } from './types.js';

const query = (name: string, description: string, s: Json): Json => ({
  name,
  in: 'query',
  required: false,
  description,
  schema: s,
});

const includeMetadata = query(
  'includeMetadata',
  'Add each current entry’s DICOM JSON metadata (any letter case is accepted)',
  { type: 'boolean', default: true },
);

const ENTRY: Json = {
  type: 'object',
  description: 'One change, in the shape of the Microsoft DICOM service’s change feed',
  required: [
    'Sequence',
    'StudyInstanceUid',
    'SeriesInstanceUid',
    'SopInstanceUid',
    'Action',
    'Timestamp',
    'State',
  ],
  properties: {
    Sequence: { type: 'integer', minimum: 1 },
    StudyInstanceUid: { type: 'string' },
    SeriesInstanceUid: { type: 'string' },
    SopInstanceUid: { type: 'string' },
    Action: { enum: ['create', 'update', 'delete'] },
    Timestamp: { type: 'string', format: 'date-time' },
    State: { enum: ['current', 'replaced', 'deleted'] },
    Metadata: { ...schema('DicomJsonDataset'), description: 'Only while the entry is current' },
  },
};

const READ_ERRORS: Json = {
  '400': response('BadRequest'),
  '401': response('Unauthenticated'),
  '403': response('Forbidden'),
  '503': response('Unavailable'),
};

/**
 * The change feed and live events under the DICOMweb root (web/changefeed.routes.ts): read
 * action, patient scope applied.
 */
export const CHANGES: ApiArea = {
  mount: 'dicomweb',
  routes: [
    {
      method: 'get',
      path: '/changefeed',
      operation: {
        summary: 'Changes (create, update, delete per instance) in commit order',
        description:
          'Entries with a Sequence above `offset`, oldest first. Sequences are numbered once their change has committed, so a consumer that continues after the last Sequence it read never skips a change that committed late.',
        tags: ['Change feed'],
        parameters: [
          query('offset', 'Entries with a Sequence above this', { type: 'integer', minimum: 0 }),
          query('limit', 'At most this many entries', {
            type: 'integer',
            minimum: 1,
            maximum: 200,
            default: 10,
          }),
          includeMetadata,
        ],
        responses: {
          '200': json('The entries', { type: 'array', items: ENTRY }),
          ...READ_ERRORS,
        },
      },
    },
    {
      method: 'get',
      path: '/changefeed/latest',
      operation: {
        summary: 'The newest change',
        tags: ['Change feed'],
        parameters: [includeMetadata],
        responses: {
          '200': json('The newest entry, or null when the feed is empty', {
            oneOf: [ENTRY, { type: 'null' }],
          }),
          ...READ_ERRORS,
        },
      },
    },
    {
      method: 'get',
      path: '/events',
      operation: {
        summary: 'Live changes as Server-Sent Events',
        description:
          'Each change as `id: <Sequence>`, `event: <Action>`, `data: <entry JSON without Metadata>`; comment lines as heartbeat. A reconnecting client sends `Last-Event-ID` and receives every change after it.',
        tags: ['Change feed'],
        parameters: [
          {
            name: 'Last-Event-ID',
            in: 'header',
            required: false,
            description: 'Resume after this Sequence',
            schema: { type: 'integer', minimum: 0 },
          },
          query(
            'lastEventId',
            'Resume after this Sequence (for clients that cannot set the header)',
            {
              type: 'integer',
              minimum: 0,
            },
          ),
        ],
        responses: {
          '200': {
            description: 'The event stream (open until the client or the server ends it)',
            content: { 'text/event-stream': { schema: { type: 'string' } } },
          },
          ...READ_ERRORS,
        },
      },
    },
  ],
};

const WEBHOOK: Json = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    url: { type: 'string', format: 'uri' },
    actions: { type: ['array', 'null'], items: { enum: ['create', 'update', 'delete'] } },
    studyInstanceUid: { type: ['string', 'null'] },
    seriesInstanceUid: { type: ['string', 'null'] },
    modality: { type: ['string', 'null'] },
    sopClassUid: { type: ['string', 'null'] },
    deliveredSequence: {
      type: 'integer',
      description: 'The last Sequence the receiver accepted; deliveries continue after it',
    },
    failures: { type: 'integer' },
    nextAttemptAt: { type: ['string', 'null'], format: 'date-time' },
    lastError: { type: ['string', 'null'] },
    createdAt: { type: 'string', format: 'date-time' },
  },
};

const ADMIN_ERRORS: Json = {
  '401': response('Unauthenticated'),
  '403': response('Forbidden'),
  '503': response('Unavailable'),
};

/** Outgoing webhook subscriptions (web/webhooks.routes.ts): admin action, audited. */
export const WEBHOOKS: ApiArea = {
  mount: 'root',
  routes: [
    {
      method: 'post',
      path: '/admin/webhooks',
      operation: {
        summary: 'Subscribe a URL to the change feed',
        description:
          'Deliveries are POSTed in order, at least once, signed `X-Strata-Signature: sha256=<HMAC-SHA256(secret, "<X-Strata-Timestamp>.<body>")>`, retried with exponential back-off. Recorded in the audit trail (110113 Network Configuration).',
        tags: ['Admin'],
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['url'],
                properties: {
                  url: { type: 'string', format: 'uri', description: 'http or https' },
                  secret: {
                    type: 'string',
                    minLength: 16,
                    description: 'Signing secret; generated when absent',
                  },
                  actions: {
                    type: 'array',
                    minItems: 1,
                    items: { enum: ['create', 'update', 'delete'] },
                  },
                  studyInstanceUid: { type: 'string' },
                  seriesInstanceUid: { type: 'string' },
                  modality: { type: 'string' },
                  sopClassUid: { type: 'string' },
                },
              },
            },
          },
        },
        responses: {
          '201': {
            ...json('The subscription with its secret (shown only here)', {
              allOf: [WEBHOOK, { type: 'object', properties: { secret: { type: 'string' } } }],
            }),
            headers: { Location: { schema: { type: 'string' } } },
          },
          '400': problem('Not a JSON object, or a field out of range'),
          ...ADMIN_ERRORS,
        },
      },
    },
    {
      method: 'get',
      path: '/admin/webhooks',
      operation: {
        summary: 'Webhook subscriptions with their delivery state',
        tags: ['Admin'],
        responses: {
          '200': json('The subscriptions', { type: 'array', items: WEBHOOK }),
          ...ADMIN_ERRORS,
        },
      },
    },
    {
      method: 'delete',
      path: '/admin/webhooks/:id',
      operation: {
        summary: 'Remove a webhook subscription',
        tags: ['Admin'],
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
        responses: {
          '204': { description: 'Removed (recorded in the audit trail)' },
          '404': response('NotFound'),
          ...ADMIN_ERRORS,
        },
      },
    },
  ],
};

import type { Services } from '../services/services.js';
import type { WebhookRequest } from '../services/webhooks.js';
import type { RouteTable } from './access.js';
import { actorOf } from './actor.js';
import { BadRequestError } from './errors.js';

const ACTIONS = new Set(['create', 'update', 'delete']);

/**
 * Webhook subscriptions (admin): `POST /admin/webhooks` creates one and answers its secret
 * (once), `GET` lists them with their delivery state, `DELETE /admin/webhooks/{id}` removes one.
 */
export function registerWebhookRoutes(table: RouteTable, services: Services): void {
  const { webhooks } = services.changes;
  table.add('post', '/webhooks', 'admin', async (c) => {
    const body: unknown = await c.req.json().catch(() => {
      throw new BadRequestError('the body must be a JSON object');
    });
    const created = await webhooks.create(parseRequest(body), actorOf(c));
    return c.json(created, 201, { Location: `${c.req.path}/${created.id}` });
  });
  table.add('get', '/webhooks', 'admin', async (c) => c.json(await webhooks.list()));
  table.add('delete', '/webhooks/:id', 'admin', async (c) => {
    await webhooks.remove(c.req.param('id') ?? '', actorOf(c));
    return c.body(null, 204);
  });
}

function parseRequest(body: unknown): WebhookRequest {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new BadRequestError('the body must be a JSON object');
  }
  const b = body as Record<string, unknown>;
  const url = text(b, 'url');
  if (url === undefined || !/^https?:$/.test(safeUrl(url)?.protocol ?? '')) {
    throw new BadRequestError('url must be an absolute http or https URL');
  }
  const secret = text(b, 'secret');
  if (secret !== undefined && secret.length < 16) {
    throw new BadRequestError('secret must be at least 16 characters');
  }
  let actions: WebhookRequest['actions'];
  if (b.actions !== undefined) {
    if (
      !Array.isArray(b.actions) ||
      b.actions.length === 0 ||
      !b.actions.every((a) => typeof a === 'string' && ACTIONS.has(a))
    ) {
      throw new BadRequestError('actions must be a non-empty list of create, update, delete');
    }
    actions = b.actions as WebhookRequest['actions'];
  }
  return {
    url,
    secret,
    actions,
    studyInstanceUid: text(b, 'studyInstanceUid'),
    seriesInstanceUid: text(b, 'seriesInstanceUid'),
    modality: text(b, 'modality'),
    sopClassUid: text(b, 'sopClassUid'),
  };
}

function text(b: Record<string, unknown>, name: string): string | undefined {
  const value = b[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value === '') {
    throw new BadRequestError(`${name} must be a non-empty string`);
  }
  return value;
}

function safeUrl(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

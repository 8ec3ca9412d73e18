import type { Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { AccountService } from '../auth/accounts.js';
import type { ApiKeys } from '../auth/api-keys.js';
import { InvalidAuthRequestError } from '../auth/errors.js';
import type { AuditSink } from '../audit/event.js';
import type { RouteTable } from './access.js';
import { actorOf } from './actor.js';
import { BadRequestError } from './errors.js';

/**
 * Admin endpoints over API keys and built-in accounts: what `strata keys` and `strata users`
 * do, for the web console. Every change to who may do what is recorded to the audit trail as a
 * PS3.15 A.5.3.11 Security Alert (EventTypeCode 110137 User Security Attributes Changed) with
 * the admin who made it, before the answer; a record that cannot be written fails the request.
 * Secrets (a new key, a TOTP secret) are in the answer once and never in the trail.
 */
export interface AdminSecurityOptions {
  apiKeys?: Pick<ApiKeys, 'list' | 'create' | 'revoke'> | undefined;
  accounts?: Pick<AccountService, 'list' | 'add' | 'disable' | 'enable'> | undefined;
  audit?: AuditSink | undefined;
}

/** A request here is a few short fields. */
const MAX_BODY_BYTES = 16 * 1024;
const NO_STORE = { 'Cache-Control': 'no-store' };

export function registerAdminSecurityRoutes(
  table: RouteTable,
  options: AdminSecurityOptions,
): void {
  const limit = bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: () => {
      throw new BadRequestError(`an admin request has at most ${MAX_BODY_BYTES} bytes`);
    },
  });
  const record = async (c: Context, change: string, target: string) => {
    const actor = actorOf(c);
    await options.audit?.record({
      type: 'security-alert',
      subtype: 'user-security-attributes-changed',
      action: 'E',
      outcome: 0,
      user: actor.user,
      clientAddress: actor.clientAddress,
      ...(actor.requestId ? { requestId: actor.requestId } : {}),
      detail: { change, target },
    });
  };

  const keys = options.apiKeys;
  if (keys) {
    table.add('get', '/api-keys', 'admin', async (c) =>
      c.json({ keys: await keys.list() }, 200, NO_STORE),
    );
    table.add('post', '/api-keys', 'admin', limit, async (c) => {
      const body = await jsonBody(c);
      const created = await keys.create({
        name: text(body, 'name'),
        role: text(body, 'role'),
        patientIds: optionalList(body, 'patientIds'),
      });
      await record(c, 'api-key-created', created.name);
      return c.json(created, 201, NO_STORE);
    });
    table.add('delete', '/api-keys/:key', 'admin', async (c) => {
      const revoked = await keys.revoke(c.req.param('key') ?? '');
      if (revoked.length === 0)
        throw new InvalidAuthRequestError('no live key with this id or name');
      for (const key of revoked) await record(c, 'api-key-revoked', key.name);
      return c.json({ revoked }, 200, NO_STORE);
    });
  }

  const accounts = options.accounts;
  if (accounts) {
    table.add('get', '/users', 'admin', async (c) =>
      c.json({ users: await accounts.list() }, 200, NO_STORE),
    );
    table.add('post', '/users', 'admin', limit, async (c) => {
      const body = await jsonBody(c);
      const username = text(body, 'username');
      const added = await accounts.add({
        username,
        password: text(body, 'password'),
        roles: optionalList(body, 'roles') ?? [],
        patientIds: optionalList(body, 'patientIds'),
        totpRequired: body['totpRequired'] === true,
      });
      await record(c, 'account-added', username.toLowerCase());
      return c.json({ username: username.toLowerCase(), ...added }, 201, NO_STORE);
    });
    table.add('post', '/users/:username/disable', 'admin', async (c) => {
      const username = c.req.param('username') ?? '';
      await accounts.disable(username);
      await record(c, 'account-disabled', username.toLowerCase());
      return c.body(null, 204);
    });
    table.add('post', '/users/:username/enable', 'admin', async (c) => {
      const username = c.req.param('username') ?? '';
      await accounts.enable(username);
      await record(c, 'account-enabled', username.toLowerCase());
      return c.body(null, 204);
    });
  }
}

async function jsonBody(c: Context): Promise<Record<string, unknown>> {
  const type = c.req.header('Content-Type')?.split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json')
    throw new BadRequestError('send the request as application/json');
  let body: unknown;
  try {
    body = await c.req.json();
  } catch {
    throw new BadRequestError('the request body is not JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new BadRequestError('the request body is a JSON object');
  }
  return body as Record<string, unknown>;
}

function text(body: Record<string, unknown>, name: string): string {
  const value = body[name];
  if (typeof value !== 'string' || value === '') throw new BadRequestError(`"${name}" is missing`);
  return value;
}

function optionalList(body: Record<string, unknown>, name: string): string[] | undefined {
  const value = body[name];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
    throw new BadRequestError(`"${name}" is a list of strings`);
  }
  return value as string[];
}

import type { Context, Env, Hono, MiddlewareHandler, Next } from 'hono';
import type { Authenticator } from '../auth/authenticate.js';
import { ForbiddenError, InvalidTokenError, UnauthenticatedError } from '../auth/errors.js';
import { can, type Action, type Principal } from '../auth/principal.js';
import type { AuditSink } from '../audit/event.js';
import { clientAddressOf } from './client-address.js';

/**
 * Deny by default: every route is added through a RouteTable with the action it needs, checked
 * before its handler runs. `public` is the deliberate exception (health probes, the token
 * endpoint). web/access.test.ts walks the app's routes and fails for any route added another way.
 */
export type Access = Action | 'public';

/**
 * `expensive`: the route can cost far more than a lookup (rendering, whole-study retrieves,
 * broad QIDO), so it also passes the table's rate limit gate when one is configured.
 */
export type RouteAccess = Access | { action: Access; expensive: true };

export interface RouteRecord {
  method: string;
  /** The full path template, as hono lists it in `app.routes`. */
  path: string;
  access: Access;
  expensive: boolean;
}

export interface RouteTableOptions {
  /** Runs after the access check on `expensive` routes (web/rate-limit.ts). */
  expensiveGate?: MiddlewareHandler | undefined;
}

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete' | 'options';

/** A route's handler or one of its middlewares. */
export type RouteHandler = (c: Context, next: Next) => Response | Promise<Response | void>;

export class RouteTable {
  private readonly list: RouteRecord[];

  /**
   * `prefix`: where `app` will be mounted (the DICOMweb root, `/admin`), so records name full
   * paths; records are shared with the tables of sub-apps through `records`.
   */
  constructor(
    private readonly app: Hono,
    private readonly options: RouteTableOptions = {},
    private readonly prefix = '',
    records: RouteRecord[] = [],
  ) {
    this.list = records;
  }

  get records(): readonly RouteRecord[] {
    return this.list;
  }

  /** A table for a sub-app mounted at `prefix` below this one, sharing the records. */
  child(app: Hono, prefix: string): RouteTable {
    return new RouteTable(app, this.options, this.prefix + prefix, this.list);
  }

  add(method: Method, path: string, route: RouteAccess, ...handlers: RouteHandler[]): void {
    const access = typeof route === 'string' ? route : route.action;
    const expensive = typeof route !== 'string';
    this.list.push({ method: method.toUpperCase(), path: this.prefix + path, access, expensive });
    const gate = expensive ? this.options.expensiveGate : undefined;
    (this.app[method] as (path: string, ...handlers: RouteHandler[]) => unknown)(
      path,
      requireAccess(access),
      ...(gate ? [gate] : []),
      ...handlers,
    );
  }
}

/** The route's gate: 401 without credentials, 403 when no role grants the action. */
export function requireAccess(access: Access): MiddlewareHandler {
  return async (c, next) => {
    if (access !== 'public') {
      const principal = principalOf(c);
      // Without credentials the answer is 401 (credentials may help), also when anonymous
      // access allows other actions; an authenticated caller without the role gets 403.
      if (
        principal === undefined ||
        (principal.method === 'anonymous' && !can(principal, access))
      ) {
        throw new UnauthenticatedError();
      }
      if (!can(principal, access)) throw new ForbiddenError(access);
    }
    await next();
  };
}

const PRINCIPAL = 'principal' as never;

/**
 * Global middleware: who is asking, from the Authorization header (auth/authenticate.ts).
 * Credentials that fail are recorded to the audit trail before the 401 (PS3.15 A.5.3.11 User
 * Authentication, minor failure); a bad signature or a refused algorithm is a forgery attempt,
 * recorded as a Security Alert too. If the trail cannot record them, the request fails with 503.
 */
export function authenticate(authenticator: Authenticator, audit?: AuditSink): MiddlewareHandler {
  return async (c, next) => {
    let principal: Principal | undefined;
    try {
      principal = await authenticator.authenticate(c.req.header('Authorization'));
    } catch (error) {
      if (audit && error instanceof InvalidTokenError) await recordRefusal(c, audit, error);
      throw error;
    }
    c.set(PRINCIPAL, principal as never);
    await next();
  };
}

const FORGERY_REASONS = new Set(['bad-signature', 'alg-not-allowed']);

async function recordRefusal(c: Context, audit: AuditSink, error: InvalidTokenError) {
  const common = {
    outcome: 4,
    // After trusted proxies: behind a reverse proxy the socket's peer is the proxy itself.
    clientAddress: clientAddressOf(c),
    requestId: c.get('requestId' as never) as string | undefined,
    detail: { reason: error.reason },
  } as const;
  await audit.record({ type: 'user-authentication', subtype: 'login', action: 'E', ...common });
  if (FORGERY_REASONS.has(error.reason)) {
    await audit.record({
      type: 'security-alert',
      subtype: 'node-authentication',
      action: 'E',
      ...common,
    });
  }
}

/** The request's principal; undefined when it sent no credentials and anonymous is off. */
export function principalOf<E extends Env>(c: Context<E>): Principal | undefined {
  return c.get(PRINCIPAL);
}

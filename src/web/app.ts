import { randomUUID } from 'node:crypto';
import { Hono } from 'hono';
import { AddressList } from '../lib/address-list.js';
import type { Logger } from '../lib/log.js';
import type { Services } from '../services/services.js';
import type { Authenticator } from '../auth/authenticate.js';
import type { AuditSink } from '../audit/event.js';
import type { AuditSearch } from '../audit/search.js';
import { authenticate, RouteTable, type RouteTableOptions } from './access.js';
import { registerConsoleRoutes } from '../console/console.routes.js';
import type { ConsoleAssets } from '../console/assets.js';
import { registerAdminRoutes } from './admin.routes.js';
import { registerAdminSecurityRoutes, type AdminSecurityOptions } from './admin-security.routes.js';
import { proxyHeaders } from './client-address.js';
import { corsMiddleware } from './cors.js';
import { sendDirectBodies } from './direct-body.js';
import { idleBody } from './idle-body.js';
import { registerHealthRoutes } from './health.routes.js';
import {
  metricsTokenGate,
  registerMetricsRoute,
  type MetricsRouteOptions,
} from './metrics.routes.js';
import { registerOpenApiRoute } from './openapi.routes.js';
import { observeRequests, type RequestObserver } from './request-observer.js';
import { RouteNotFoundError } from './errors.js';
import { problemResponse } from './problem.js';
import { registerRoutes } from './routes.js';
import { registerTokenRoutes, type TokenEndpointOptions } from './token.routes.js';
import { unreadBody } from './unread-body.js';
import type { UploadArea } from './uploads/upload-area.js';
import { registerUploadRoutes } from './uploads/uploads.routes.js';
import { registerWhoamiRoute } from './whoami.routes.js';

const NO_PROXIES = AddressList.parse([]) as AddressList;

export interface AppOptions {
  dicomwebRoot: string;
  publicBaseUrl: string | undefined;
  /**
   * Reverse proxies whose headers are believed (TRUSTED_PROXIES; web/client-address.ts).
   * None when absent: proxy headers are then ignored.
   */
  trustedProxies?: AddressList | undefined;
  corsOrigins: string[];
  /** TLS is on and TLS_HSTS asks for Strict-Transport-Security on every response. */
  hsts?: boolean;
  maxParts: number;
  /** A request body idle this long is ended with 408 (0 = never). */
  idleTimeoutSeconds: number;
  /** Concurrent STOW uploads overall (503 beyond) and per client address (429); 0 = no limit. */
  maxUploads: number;
  maxUploadsPerClient: number;
  /** Who is asking (auth/authenticate.ts); every route declares the action it needs. */
  authenticator: Authenticator;
  /** The rate limit gate of expensive routes (web/rate-limit.ts); none = unlimited. */
  expensiveGate?: RouteTableOptions['expensiveGate'];
  /** The audit trail (audit/trail.ts): failed authentications are recorded to it. */
  audit?: AuditSink | undefined;
  /** `GET /admin/audit` searches the trail with it (absent: no such route). */
  auditSearch?: AuditSearch | undefined;
  /** POST /auth/token for built-in accounts (AUTH_METHODS=account); none = not served. */
  tokenEndpoint?: TokenEndpointOptions | undefined;
  /** Resumable uploads (tus) at `/uploads` over this area; none = not served. */
  uploads?: { area: UploadArea; maxBytes: number } | undefined;
  /** Told of every request: metrics, tracing (web/request-observer.ts). */
  requestObservers?: readonly RequestObserver[] | undefined;
  /** `GET /metrics` and who may scrape it (absent: not served). */
  metrics?: MetricsRouteOptions | undefined;
  /** /admin/api-keys and /admin/users (the web console's admin pages); absent = not served. */
  apiKeys?: AdminSecurityOptions['apiKeys'];
  accounts?: AdminSecurityOptions['accounts'];
  /** The web console at `/` (console/assets.ts); absent = not served. */
  console?: ConsoleAssets | undefined;
  log: Logger;
}

/**
 * The HTTP application. Middleware order: direct bodies (web/direct-body.ts: written after every
 * other middleware has had its say) → request observers (metrics, tracing) → request id →
 * HSTS → proxy headers (believed only from TRUSTED_PROXIES; the client address) → unread body
 * (sees the final answer, errors too, and drains or closes) → idle body timeout → CORS (so
 * every response, errors too, carries it) → the METRICS_TOKEN gate → authentication (who is
 * asking) → routes, each checking its action first; errors go through the single problem+json
 * map of web/problem.ts.
 */
export function createApp(services: Services, options: AppOptions): Hono {
  return createAppWithTable(services, options).app;
}

/** The app and its route table (web/access.test.ts walks both). */
export function createAppWithTable(
  services: Services,
  options: AppOptions,
): { app: Hono; table: RouteTable } {
  const app = new Hono();
  const table = new RouteTable(app, { expensiveGate: options.expensiveGate });
  // Outermost: the bodies it writes go out with the headers every other middleware has set.
  app.use(sendDirectBodies(options.log));
  // First, so latency and spans cover every middleware and the answer is the final one.
  if (options.requestObservers?.length) app.use(observeRequests(options.requestObservers, table));
  app.use(async (c, next) => {
    const requestId = randomUUID();
    const started = performance.now();
    c.set('requestId' as never, requestId as never);
    c.header('X-Request-Id', requestId);
    await next();
    // The route template, never the path: paths carry UIDs.
    options.log.debug('request', {
      requestId,
      method: c.req.method,
      route: c.req.routePath,
      status: c.res.status,
      ms: Math.round(performance.now() - started),
    });
  });
  if (options.hsts) {
    app.use(async (c, next) => {
      await next();
      // RFC 6797 §6.1: one year; the header is ignored over plain HTTP, so only TLS sends it.
      c.header('Strict-Transport-Security', 'max-age=31536000');
    });
  }
  app.use(proxyHeaders(options.trustedProxies ?? NO_PROXIES));
  app.use(unreadBody());
  app.use(idleBody(options.idleTimeoutSeconds));
  if (options.corsOrigins.length > 0) app.use(corsMiddleware(options.corsOrigins));
  if (options.metrics?.token !== undefined) app.use(metricsTokenGate(options.metrics));
  app.use(authenticate(options.authenticator, options.audit));

  registerHealthRoutes(table, services);
  if (options.metrics) registerMetricsRoute(table, options.metrics);
  registerOpenApiRoute(table, options);
  if (options.tokenEndpoint) registerTokenRoutes(table, options.tokenEndpoint, options.audit);
  registerWhoamiRoute(table);
  if (options.console) registerConsoleRoutes(table, options.console);

  const dicomweb = new Hono();
  registerRoutes(table.child(dicomweb, options.dicomwebRoot), services, options);
  app.route(options.dicomwebRoot || '/', dicomweb);
  const admin = new Hono();
  const adminTable = table.child(admin, '/admin');
  registerAdminRoutes(adminTable, services, options.auditSearch);
  registerAdminSecurityRoutes(adminTable, {
    apiKeys: options.apiKeys,
    accounts: options.accounts,
    audit: options.audit,
  });
  app.route('/admin', admin);
  if (options.uploads) {
    registerUploadRoutes(table, services, { ...options, ...options.uploads });
  }

  app.notFound((c) => problemResponse(new RouteNotFoundError(c.req.method), c, options.log));
  app.onError((error, c) => problemResponse(error, c, options.log));
  return { app, table };
}

import { cors } from 'hono/cors';

/**
 * CORS for browser viewers (OHIF): on every response, errors included (the middleware runs
 * before routing and its headers survive onError). Exposes the headers viewers read.
 */
export function corsMiddleware(origins: string[]) {
  return cors({
    origin: origins.includes('*') ? '*' : origins,
    allowMethods: ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS'],
    allowHeaders: ['Accept', 'Authorization', 'Content-Type', 'Range', 'If-None-Match'],
    exposeHeaders: [
      'Content-Length',
      'Content-Range',
      'Content-Type',
      'ETag',
      'Location',
      'Warning',
    ],
    maxAge: 86400,
  });
}

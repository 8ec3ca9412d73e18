/**
 * HTTP plumbing shared by the WADO-RS routes: scope from the path, validators and caching
 * headers (RFC 9110 §8.8.3, §13.1.2; RFC 9111 §5.2.2), and streamed bodies.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { Context } from 'hono';
import type { RetrieveScope } from '../services/instance-lookup.js';
import { resolveBaseUrl, type BaseUrlOptions } from './base-url.js';

export interface WadoRouteOptions extends BaseUrlOptions {
  dicomwebRoot: string;
}

export function scopeOf(c: Context): RetrieveScope {
  return {
    study: c.req.param('study') ?? '',
    series: c.req.param('series'),
    instance: c.req.param('instance'),
  };
}

/** `{public base}{root}` — the prefix of every URL handed to clients. */
export function baseOf(c: Context, options: WadoRouteOptions): string {
  return resolveBaseUrl(c.req.raw, options) + options.dicomwebRoot;
}

/** A strong validator from what identifies the representation (ids, versions, hashes, syntax). */
export function etagOf(parts: readonly (string | number)[]): string {
  return `"${createHash('sha256').update(parts.join('|')).digest('base64url').slice(0, 27)}"`;
}

/**
 * Caching: stored objects never change in place (a replaced instance gets a new version, hence
 * a new ETag), but study/series sets grow, and all of it is PHI: `private` always; an instance
 * and its parts may be reused for an hour, a study or series is revalidated every time.
 */
export function cacheHeaders(etag: string, instanceLevel: boolean): Record<string, string> {
  return {
    ETag: etag,
    'Cache-Control': instanceLevel ? 'private, max-age=3600' : 'private, no-cache',
    // The representation depends on Accept (RFC 9110 §12.5.5): without this, a browser cache
    // could answer a request for image/jpeg with the multipart body it stored for another.
    Vary: 'Accept',
  };
}

/** RFC 9110 §13.1.2 If-None-Match (weak comparison): 304 with the validators, or undefined. */
export function notModified(
  c: Context,
  etag: string,
  headers: Record<string, string>,
): Response | undefined {
  const header = c.req.header('if-none-match');
  if (!header) return undefined;
  const tags = header.split(',').map((t) => t.trim().replace(/^W\//, ''));
  if (!tags.includes('*') && !tags.includes(etag)) return undefined;
  return new Response(null, { status: 304, headers });
}

/** Bytes a streamed response reads ahead of the socket. */
export const STREAM_AHEAD = 1024 * 1024;

/** A response whose body is a Node stream; destroying it (client gone) stops the reads. */
export function streamResponse(
  body: Readable,
  status: number,
  headers: Record<string, string>,
): Response {
  // Read ahead up to STREAM_AHEAD bytes so storage reads overlap socket writes (the default
  // 16 KiB keeps one chunk in flight: bench/wado.ts).
  const web: WebReadableStream = Readable.toWeb(body, {
    strategy: new ByteLengthQueuingStrategy({ highWaterMark: STREAM_AHEAD }),
  });
  return new Response(web, { status, headers });
}

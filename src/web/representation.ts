/**
 * The HTTP side of the WADO-RS routes: scope from the path, and THE one place a planned
 * representation (services/representation.ts) becomes a response — validators and caching
 * headers (RFC 9110 §8.8.3, §13.1.2; RFC 9111 §5.2.2), If-None-Match, and the body: one
 * payload, multipart/related by the related writer, application/zip by the zip writer.
 */
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { Context } from 'hono';
import type { RetrieveScope } from '../services/instance-lookup.js';
import type {
  MultipartBody,
  Representation,
  RepresentationBody,
} from '../services/representation.js';
import { resolveBaseUrl, type BaseUrlOptions } from './base-url.js';
import { directResponse } from './direct-body.js';
import { writeMultipartRelatedInto } from './multipart/related-into.js';
import { pump } from './pump.js';
import {
  multipartRelatedBytes,
  newBoundary,
  writeMultipartRelated,
  type OutgoingPart,
} from './multipart/related-writer.js';
import { writeZip } from './zip-writer.js';

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
  return resolveBaseUrl(c, options) + options.dicomwebRoot;
}

/**
 * Caching: stored objects never change in place (a replaced instance gets a new version, hence
 * a new ETag), but study/series sets grow, and all of it is PHI: `private` always; an instance
 * and its parts may be reused for an hour, a study or series is revalidated every time.
 */
function cacheHeaders(etag: string, revalidate: boolean): Record<string, string> {
  return {
    ETag: etag,
    'Cache-Control': revalidate ? 'private, no-cache' : 'private, max-age=3600',
    // The representation depends on Accept (RFC 9110 §12.5.5): without this, a browser cache
    // could answer a request for image/jpeg with the multipart body it stored for another.
    Vary: 'Accept',
  };
}

/** RFC 9110 §13.1.2 If-None-Match: `*` or a list of entity tags, compared weakly. */
export function matchesIfNoneMatch(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  const tags = header.split(',').map((t) => t.trim().replace(/^W\//, ''));
  return tags.includes('*') || tags.includes(etag);
}

export interface RespondOptions {
  /** Viewers on another origin load it as a resource (PS3.18 8.10; Fetch CORP). */
  crossOrigin?: boolean;
}

/**
 * The response for `plan`: 304 when If-None-Match names its validator (nothing is opened), else
 * 200 (206 for a range) with the body the plan opens. Errors from opening (an offline tier, a
 * frame that does not decode) come before the status line and reach onError.
 */
export async function respond(
  c: Context,
  plan: Representation,
  options: RespondOptions = {},
): Promise<Response> {
  const headers = cacheHeaders(plan.etag, plan.revalidate);
  if (plan.byteRanges) headers['Accept-Ranges'] = 'bytes';
  if (options.crossOrigin) headers['Cross-Origin-Resource-Policy'] = 'cross-origin';
  if (matchesIfNoneMatch(c.req.header('if-none-match'), plan.etag))
    return c.body(null, 304, headers);
  const body = await plan.open();
  return bodyResponse(c, body, headers);
}

function bodyResponse(c: Context, body: RepresentationBody, headers: Record<string, string>) {
  switch (body.kind) {
    case 'single': {
      headers['Content-Type'] = body.mediaType;
      if (body.body instanceof Uint8Array) return c.body(arrayBacked(body.body), 200, headers);
      if (body.range) {
        const { start, end, size } = body.range;
        headers['Content-Range'] = `bytes ${start}-${end}/${size}`;
        headers['Content-Length'] = String(end - start + 1);
        return streamResponse(c, body.body, 206, headers);
      }
      if (body.length !== undefined) headers['Content-Length'] = String(body.length);
      return streamResponse(c, body.body, 200, headers);
    }
    case 'multipart': {
      const boundary = newBoundary();
      headers['Content-Type'] = `multipart/related; type="${body.type}"; boundary=${boundary}`;
      const parts = body.parts;
      const outgoing = (part: {
        mediaType: string;
        body: Uint8Array | Readable;
      }): OutgoingPart => ({
        headers: { 'Content-Type': part.mediaType },
        body: part.body,
      });
      if (isInMemory(parts)) {
        // The usual viewer request (one frame of a compressed image) is in memory already: the
        // body is built in one piece rather than streamed (no stream conversions on the hot path).
        const inMemory = parts.map((p) => ({
          headers: { 'Content-Type': p.mediaType },
          body: p.body,
        }));
        return c.body(arrayBacked(multipartRelatedBytes(inMemory, boundary)), 200, headers);
      }
      async function* streamed(): AsyncGenerator<OutgoingPart> {
        for await (const part of parts) yield outgoing(part);
      }
      const direct = directResponse(c, 200, headers, {
        write: (sink) => writeMultipartRelatedInto(sink, streamed(), boundary),
        release: () => void releaseParts(parts),
      });
      if (direct) return direct;
      const stream = writeMultipartRelated(streamed(), boundary, { highWaterMark: STREAM_AHEAD });
      return webStreamResponse(c, stream, 200, headers);
    }
    case 'archive':
      headers['Content-Type'] = 'application/zip';
      // UIDs are digits and dots: nothing to quote or escape (RFC 6266).
      headers['Content-Disposition'] = `attachment; filename="${body.name}.zip"`;
      return streamResponse(c, writeZip(body.entries, STREAM_AHEAD), 200, headers);
  }
}

/** Our bytes never live in a SharedArrayBuffer; the type of a Response body says ArrayBuffer. */
function arrayBacked(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes as Uint8Array<ArrayBuffer>;
}

function isInMemory<T extends { body: Uint8Array | Readable }>(
  parts: AsyncIterable<T> | readonly T[],
): parts is readonly (T & { body: Uint8Array })[] {
  return Array.isArray(parts) && parts.every((p: T) => p.body instanceof Uint8Array);
}

/** Bytes a streamed response reads ahead of the socket. */
export const STREAM_AHEAD = 1024 * 1024;

/**
 * A response whose body is a Node stream, written straight into the Node response where there
 * is one (web/direct-body.ts); destroying it (client gone) stops the reads.
 */
function streamResponse(
  c: Context,
  body: Readable,
  status: 200 | 206,
  headers: Record<string, string>,
): Response {
  const direct = directResponse(c, status, headers, {
    write: (sink) => pump(body, sink),
    release: () => void body.destroy(),
  });
  return direct ?? webStreamResponse(c, body, status, headers);
}

/** Parts never sent (an error answer replaced the response): close what is open already. */
async function releaseParts(parts: MultipartBody['parts']): Promise<void> {
  if (!(Symbol.asyncIterator in parts)) {
    for (const part of parts) if (part.body instanceof Readable) part.body.destroy();
    return;
  }
  // The first body is open before the status line; a producer may have opened the next.
  const iterator = parts[Symbol.asyncIterator]();
  const first = await iterator.next().catch(() => undefined);
  if (first && !first.done && first.value.body instanceof Readable) first.value.body.destroy();
  await iterator.return?.(undefined).catch(() => undefined);
}

/** The same through a Web stream, under `app.request()` (tests): no Node response there. */
function webStreamResponse(
  c: Context,
  body: Readable,
  status: 200 | 206,
  headers: Record<string, string>,
): Response {
  // Read ahead up to STREAM_AHEAD bytes so storage reads overlap socket writes (the default
  // 16 KiB keeps one chunk in flight: bench/wado.ts).
  const web: WebReadableStream = Readable.toWeb(body, {
    strategy: new ByteLengthQueuingStrategy({ highWaterMark: STREAM_AHEAD }),
  });
  return c.body(web as ReadableStream, status, headers);
}

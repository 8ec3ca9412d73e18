import { Readable } from 'node:stream';
import { Server, type Upload } from '@tus/server';
import type { Context } from 'hono';
import type { Logger } from '../../lib/log.js';
import type { Services } from '../../services/services.js';
import type { RouteHandler, RouteTable } from '../access.js';
import { actorOf } from '../actor.js';
import { resolveBaseUrl, type BaseUrlOptions } from '../base-url.js';
import { requestBody } from '../node-streams.js';
import { PROBLEM_JSON, problemOf } from '../problem.js';
import { settleStow } from '../stow-partial.js';
import { stowResponse } from '../stow-response.js';
import { incoming } from '../stow.routes.js';
import { uploadSlots, type UploadSlotOptions } from '../upload-slots.js';
import { isUploadId, type UploadArea, type UploadResult } from './upload-area.js';
import { uploadKindOf, uploadParts } from './upload-body.js';

export interface UploadRouteOptions extends BaseUrlOptions, UploadSlotOptions {
  area: UploadArea;
  /** UPLOAD_MAX_BYTES (Tus-Max-Size). */
  maxBytes: number;
  /** STOW_MAX_PARTS, for multipart uploads as for STOW requests. */
  maxParts: number;
  dicomwebRoot: string;
  log: Logger;
}

/** tus 1.0.0 (https://tus.io/protocols/resumable-upload): every request and answer names it. */
const TUS_RESUMABLE = '1.0.0';
/** Upload-Metadata key holding who created the upload (set by us, whatever the client sent). */
const OWNER = 'strata-owner';
/** Answer headers of a finished upload: what STOW answered, and where its response is kept. */
export const STOW_STATUS_HEADER = 'Strata-Stow-Status';
export const RESULT_HEADER = 'Strata-Upload-Result';

/** The hono request behind a tus hook call, and an error of ours a hook wants answered. */
interface Exchange {
  c: Context;
  error?: unknown;
  /** The upload this request finished: its bytes are deleted after tus's answer. */
  finished?: string;
}

/**
 * Resumable uploads (tus 1.0.0 core with the creation, creation-with-upload,
 * creation-defer-length, termination and expiration extensions) at `/uploads`, by @tus/server
 * over this node's upload area (upload-area.ts). Every route needs the write action; an upload
 * belongs to the principal who created it (another one gets 404, as if it did not exist).
 *
 * The request that completes an upload (the last PATCH, or a POST carrying the whole body) runs
 * the bytes through the same STOW pipeline as `POST /studies` (services/stow.ts, acting as that
 * principal: patient scope, duplicate policy, durability, failure codes, audit 110104), keeps the
 * STOW response for `GET /uploads/{id}/result`, deletes the bytes, and only then answers 204 —
 * so an answered upload is stored. Its answer carries `Strata-Stow-Status` (200/202/409, or the
 * 4xx of a body STOW refused whole) and `Strata-Upload-Result` (the result's URL). When STOW
 * cannot run (index or storage unavailable: 5xx), the bytes are kept and that request answers the
 * problem; the client sends an empty PATCH at the final offset to try again.
 */
export function registerUploadRoutes(
  table: RouteTable,
  services: Services,
  options: UploadRouteOptions,
): void {
  const { area } = options;
  const exchanges = new WeakMap<Request, Exchange>();
  const exchangeOf = (req: Request) => exchanges.get(req)!;
  /** An in-process guard: two completing requests of one upload share one ingest. */
  const ingesting = new Map<string, Promise<UploadResult>>();

  /** Errors of ours thrown in a hook are answered by web/problem.ts, not as tus's plain 500. */
  const hook = async <T>(req: Request, run: (exchange: Exchange) => Promise<T>): Promise<T> => {
    const exchange = exchangeOf(req);
    try {
      return await run(exchange);
    } catch (error) {
      exchange.error = error;
      // tus answers what it catches by `status_code`; the route then throws ours instead.
      throw Object.assign(new Error('upload hook failed'), { status_code: 500, body: '' });
    }
  };

  const ingest = async (c: Context, upload: Upload): Promise<UploadResult> => {
    const owner = ownerOf(c);
    let result: UploadResult;
    try {
      const kind = uploadKindOf(upload.metadata);
      const parts = await uploadParts(area.dataPath(upload.id), kind, options.maxParts);
      const stored = await services.stow.store(incoming(parts), { actor: actorOf(c) });
      const { outcomes, warnings } = settleStow(stored);
      const base = resolveBaseUrl(c, options) + options.dicomwebRoot;
      const response = stowResponse(outcomes, {
        study: (study) => `${base}/studies/${study}`,
        instance: (study, series, sop) =>
          `${base}/studies/${study}/series/${series}/instances/${sop}`,
      });
      result = { owner, size: upload.size ?? 0, ...response, warnings };
      options.log.info('upload ingested', {
        requestId: c.get('requestId' as never) as string | undefined,
        status: response.status,
        stored: outcomes.filter((o) => o.ok).length,
        failed: outcomes.filter((o) => !o.ok).length,
      });
    } catch (error) {
      const problem = problemOf(error);
      // The service's failure (index, storage, audit): the bytes stay for a retry.
      if (problem.status >= 500) throw error;
      // The body's own fault (not multipart, no parts, too many): retrying cannot help.
      result = {
        owner,
        size: upload.size ?? 0,
        status: problem.status,
        body: { ...problem },
        warnings: [],
      };
    }
    // The bytes go once the answer is made (handle(), below): tus still reads the upload then.
    await area.writeResult(upload.id, result);
    return result;
  };

  const tus = new Server({
    path: '/uploads',
    datastore: area.store,
    maxSize: options.maxBytes,
    // CORS is the app's (web/cors.ts); tus's own `*` would contradict CORS_ORIGINS.
    allowedOrigins: [],
    generateUrl: (req, { id }) => `${uploadsBase(exchangeOf(req).c, options)}/${id}`,
    onUploadCreate: (req, upload) =>
      hook(req, ({ c }) => {
        uploadKindOf(upload.metadata); // refuses an unsupported type before any byte is sent
        return Promise.resolve({ metadata: { ...upload.metadata, [OWNER]: ownerOf(c) } });
      }),
    onUploadFinish: (req, upload) =>
      hook(req, async (exchange) => {
        const { c } = exchange;
        exchange.finished = upload.id;
        let running = ingesting.get(upload.id);
        if (!running) {
          running = ingest(c, upload).finally(() => ingesting.delete(upload.id));
          ingesting.set(upload.id, running);
        }
        return { headers: finishedHeaders(c, options, upload.id, await running) };
      }),
  });

  /** Hands the request to tus, after the owner check; finished uploads are answered here. */
  const handle: RouteHandler = async (c) => {
    const id = c.req.param('id');
    if (id !== undefined) {
      if (!isUploadId(id)) return tusAnswer(404);
      const finished = await area.readResult(id);
      if (finished) {
        if (finished.owner !== ownerOf(c)) return tusAnswer(404);
        if (c.req.method === 'DELETE') {
          await area.removeResult(id);
          return tusAnswer(204);
        }
        return answerFinished(c, finishedHeaders(c, options, id, finished), finished);
      }
      const info = await area.store.configstore.get(id);
      if (info && info.metadata?.[OWNER] !== ownerOf(c)) return tusAnswer(404);
    }
    const method = c.req.method === 'GET' ? 'HEAD' : c.req.method;
    const hasBody = method === 'POST' || method === 'PATCH';
    const request = new Request(
      `http://strata.invalid/uploads${id === undefined ? '' : `/${id}`}`,
      {
        method,
        headers: c.req.raw.headers,
        ...(hasBody ? { body: Readable.toWeb(requestBody(c)), duplex: 'half' } : {}),
      },
    );
    const exchange: Exchange = { c };
    exchanges.set(request, exchange);
    const response = await tus.handleWeb(request);
    if (exchange.finished !== undefined && exchange.error === undefined) {
      // Its result is kept; a request sharing the ingest may have removed the bytes already.
      await area.store.remove(exchange.finished).catch(() => undefined);
    }
    if (exchange.error !== undefined) throw exchange.error as Error;
    return response;
  };

  const result: RouteHandler = async (c) => {
    const id = c.req.param('id') ?? '';
    const finished = isUploadId(id) ? await area.readResult(id) : undefined;
    if (finished && finished.owner === ownerOf(c)) {
      const headers: Record<string, string> = {
        'Content-Type': finished.status < 400 ? 'application/dicom+json' : PROBLEM_JSON,
        [STOW_STATUS_HEADER]: String(finished.status),
        'Cache-Control': 'no-store',
      };
      if (finished.warnings.length > 0) headers['Warning'] = finished.warnings.join(', ');
      return c.body(JSON.stringify(finished.body), 200, headers);
    }
    const info = isUploadId(id) ? await area.store.configstore.get(id) : undefined;
    const mine = info !== undefined && info.metadata?.[OWNER] === ownerOf(c);
    const detail = mine
      ? 'the upload is not finished; its result comes with its last byte'
      : 'no such upload';
    const status = mine ? 409 : 404;
    return c.body(
      JSON.stringify({
        type: 'about:blank',
        title: mine ? 'Conflict' : 'Not Found',
        status,
        detail,
      }),
      status,
      { 'Content-Type': PROBLEM_JSON },
    );
  };

  const slot = uploadSlots(options);
  table.add('options', '/uploads', 'write', handle); // tus discovery: Tus-Version, -Extension, -Max-Size
  table.add('post', '/uploads', 'write', slot, handle); // creation (with upload)
  table.add('get', '/uploads/:id', 'write', handle); // HEAD: the offset (GET answers as HEAD)
  table.add('patch', '/uploads/:id', 'write', slot, handle); // bytes at an offset
  table.add('delete', '/uploads/:id', 'write', handle); // termination
  table.add('get', '/uploads/:id/result', 'write', result); // the STOW response of a finished upload
}

/** Uploads belong to one principal: its authentication method and id. */
function ownerOf(c: Context): string {
  const { user } = actorOf(c);
  return `${user.method}:${user.id}`;
}

function uploadsBase(c: Context, options: BaseUrlOptions): string {
  return `${resolveBaseUrl(c, options)}/uploads`;
}

function finishedHeaders(
  c: Context,
  options: BaseUrlOptions,
  id: string,
  result: UploadResult,
): Record<string, string> {
  return {
    [STOW_STATUS_HEADER]: String(result.status),
    [RESULT_HEADER]: `${uploadsBase(c, options)}/${id}/result`,
  };
}

/**
 * A finished upload whose bytes went through STOW: HEAD still says it is complete (offset =
 * length), a repeated final PATCH (empty, at that offset) answers as the first one did, DELETE
 * (handled by the caller) forgets the result.
 */
function answerFinished(
  c: Context,
  finished: Record<string, string>,
  result: UploadResult,
): Response {
  const size = String(result.size);
  switch (c.req.method) {
    case 'HEAD':
    case 'GET':
      return tusAnswer(200, {
        'Upload-Offset': size,
        'Upload-Length': size,
        'Cache-Control': 'no-store',
        ...finished,
      });
    case 'PATCH':
      return c.req.header('upload-offset') === size
        ? tusAnswer(204, { 'Upload-Offset': size, ...finished })
        : tusAnswer(409);
    default:
      return tusAnswer(405);
  }
}

function tusAnswer(status: number, headers: Record<string, string> = {}): Response {
  const body =
    status === 404
      ? 'The file for this url was not found\n'
      : status === 409
        ? 'Upload-Offset conflict\n'
        : null;
  return new Response(status === 200 || status === 204 ? null : body, {
    status,
    headers: { 'Tus-Resumable': TUS_RESUMABLE, ...headers },
  });
}

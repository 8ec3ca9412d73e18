import type { Context } from 'hono';
import { CHANGE_FEED_LIMITS } from '../services/change-feed.js';
import type { ChangeEvent } from '../services/change-events.js';
import type { Services } from '../services/services.js';
import type { RouteTable } from './access.js';
import { actorOf } from './actor.js';
import { BadRequestError } from './errors.js';

/**
 * The change feed and live events, under the DICOMweb root as the Microsoft DICOM service
 * serves its change feed: `GET /changefeed`, `GET /changefeed/latest` (JSON, its shape), and
 * `GET /events` (Server-Sent Events). All need the read action; a principal with a patient
 * scope sees only its patients' entries.
 */
export function registerChangeFeedRoutes(table: RouteTable, services: Services): void {
  const { feed, events } = services.changes;
  table.add('get', '/changefeed', 'read', async (c) => {
    const offset = nonNegative(c, 'offset', 0);
    const limit = nonNegative(c, 'limit', CHANGE_FEED_LIMITS.default);
    if (limit < 1 || limit > CHANGE_FEED_LIMITS.max) {
      throw new BadRequestError(`limit must be 1 – ${CHANGE_FEED_LIMITS.max}`);
    }
    const includeMetadata = flag(c, 'includeMetadata', true);
    return c.json(await feed.read({ offset, limit, includeMetadata }, actorOf(c)));
  });
  table.add('get', '/changefeed/latest', 'read', async (c) => {
    const entry = await feed.latest(flag(c, 'includeMetadata', true), actorOf(c));
    // An empty feed answers null, as the Microsoft service does.
    return c.json(entry ?? null);
  });
  table.add('get', '/events', 'read', async (c) => {
    // EventSource resends the last id as Last-Event-ID when it reconnects; a first connection
    // can name one in the query, as browsers cannot set the header.
    const header = c.req.header('Last-Event-ID');
    const raw = header !== undefined && header !== '' ? header : c.req.query('lastEventId');
    const lastEventId = raw === undefined ? undefined : parseCount(raw, 'Last-Event-ID');
    const actor = actorOf(c);
    const start = await events.open(actor, lastEventId);
    return eventStream(c, events.follow.bind(events), actor, start);
  });
}

/**
 * The `text/event-stream` answer (WHATWG HTML §9.2): each entry as `id: <Sequence>`, `event:
 * <Action>`, `data: <entry JSON>`; a comment line as heartbeat; a comment at once, so the
 * client sees the stream open before the first change. A failure (index down) ends the stream;
 * the client reconnects with Last-Event-ID and misses nothing.
 */
function eventStream(
  c: Context,
  follow: Services['changes']['events']['follow'],
  actor: ReturnType<typeof actorOf>,
  start: number,
): Response {
  const abort = new AbortController();
  c.req.raw.signal.addEventListener('abort', () => abort.abort(), { once: true });
  const stream = follow(actor, start, abort.signal);
  const encoder = new TextEncoder();
  let opened = false;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (!opened) {
        opened = true;
        controller.enqueue(encoder.encode(': open\n\n'));
        return;
      }
      let next: IteratorResult<ChangeEvent>;
      try {
        next = await stream.next();
      } catch {
        next = { done: true, value: undefined };
      }
      if (next.done) {
        controller.close();
        return;
      }
      controller.enqueue(encoder.encode(format(next.value)));
    },
    async cancel() {
      abort.abort();
      await stream.return(undefined);
    },
  });
  return new Response(body, {
    headers: {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-store',
      // nginx and similar proxies would otherwise buffer the stream.
      'X-Accel-Buffering': 'no',
    },
  });
}

function format(event: ChangeEvent): string {
  if ('heartbeat' in event) return ': heartbeat\n\n';
  const { entry } = event;
  return `id: ${entry.Sequence}\nevent: ${entry.Action}\ndata: ${JSON.stringify(entry)}\n\n`;
}

/** Query parameters are matched without regard to case (the Microsoft docs spell both). */
function param(c: Context, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(c.req.query())) {
    if (key.toLowerCase() === wanted) return value;
  }
  return undefined;
}

function nonNegative(c: Context, name: string, fallback: number): number {
  const raw = param(c, name);
  return raw === undefined ? fallback : parseCount(raw, name);
}

function parseCount(raw: string, name: string): number {
  if (!/^\d{1,15}$/.test(raw)) throw new BadRequestError(`${name} must be a whole number ≥ 0`);
  return Number(raw);
}

function flag(c: Context, name: string, fallback: boolean): boolean {
  const raw = param(c, name)?.toLowerCase();
  if (raw === undefined) return fallback;
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  throw new BadRequestError(`${name} must be true or false`);
}

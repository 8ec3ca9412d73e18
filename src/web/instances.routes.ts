/**
 * GET /studies/{s}[/series/{se}[/instances/{i}]] — Retrieve Instances (PS3.18 10.4.1.1.1):
 * `multipart/related; type="application/dicom"` streamed part by part from storage, a single
 * `application/dicom` body for one instance (widely used, reference §2.2), or `application/zip`
 * (PS3.18 Supplement 211) with one `{study}/{series}/{instance}.dcm` entry per instance.
 *
 * Offline tiers: the first instance is opened before the status line, so a study whose first
 * instance is offline answers 503 + Retry-After; a later offline instance can only abort the
 * stream (the status is sent) — the client sees a truncated multipart body, never a silent gap.
 */
import type { Readable } from 'node:stream';
import type { Context } from 'hono';
import type { Services } from '../services/services.js';
import { TransferSyntax } from '../dicom/uid.js';
import {
  newBoundary,
  writeMultipartRelated,
  type OutgoingPart,
} from './multipart/related-writer.js';
import { acceptOf, negotiateOrThrow, type Offer } from './negotiate.js';
import { writeZip, type ZipEntry } from './zip-writer.js';
import {
  cacheHeaders,
  etagOf,
  notModified,
  scopeOf,
  streamResponse,
  STREAM_AHEAD,
} from './representation.js';

const DICOM = 'application/dicom';
const ZIP = 'application/zip';

export function instancesHandler(services: Services) {
  return async (c: Context): Promise<Response> => {
    const scope = scopeOf(c);
    const rows = await services.retrieve.instances.find(scope);
    const stored = [...new Set(rows.map((r) => r.transferSyntaxUid))];
    const syntaxes = [
      ...new Set([
        TransferSyntax.ExplicitVRLittleEndian,
        '*',
        ...(stored.length === 1 ? stored : []),
      ]),
    ];
    const offers: Offer[] = [
      { type: 'multipart/related', params: { type: DICOM }, transferSyntaxes: syntaxes },
    ];
    if (scope.instance !== undefined) offers.push({ type: DICOM, transferSyntaxes: syntaxes });
    offers.push({ type: ZIP, transferSyntaxes: syntaxes });
    const negotiated = negotiateOrThrow(acceptOf(c.req), offers);
    const plans = services.retrieve.instances.plan(
      rows,
      negotiated.range.params['transfer-syntax'],
    );

    const etag = etagOf([
      'instances',
      negotiated.offer.type,
      ...plans.map(
        (p) => `${p.row.id}:${p.row.version}:${p.row.sha256}:${p.mode}:${p.transferSyntaxUid}`,
      ),
    ]);
    const headers = cacheHeaders(etag, scope.instance !== undefined);
    const unchanged = notModified(c, etag, headers);
    if (unchanged) return unchanged;

    const signal = c.req.raw.signal;
    const [firstPlan, ...restPlans] = plans;
    if (!firstPlan) throw new Error('lookup returned no instance');
    const first = await services.retrieve.instances.open(firstPlan, signal);
    const partType = (ts: string): string => `${DICOM}; transfer-syntax=${ts}`;
    if (negotiated.offer.type === DICOM) {
      const single: Record<string, string> = {
        ...headers,
        'Content-Type': partType(firstPlan.transferSyntaxUid),
      };
      if (firstPlan.mode === 'stored') single['Content-Length'] = String(firstPlan.row.size);
      return streamResponse(first, 200, single);
    }
    if (negotiated.offer.type === ZIP) {
      async function* entries(): AsyncGenerator<ZipEntry> {
        for (const [plan, body] of [
          [firstPlan!, first] as const,
          ...restPlans.map((p) => [p] as const),
        ]) {
          const { row } = plan;
          yield {
            name: `${row.studyInstanceUid}/${row.seriesInstanceUid}/${row.sopInstanceUid}.dcm`,
            body: body ?? (await services.retrieve.instances.open(plan, signal)),
          };
        }
      }
      const name = scope.instance ?? scope.series ?? scope.study;
      return streamResponse(writeZip(entries(), STREAM_AHEAD), 200, {
        ...headers,
        'Content-Type': ZIP,
        // UIDs are digits and dots: nothing to quote or escape (RFC 6266).
        'Content-Disposition': `attachment; filename="${name}.zip"`,
      });
    }
    // The next instance is opened while the current one streams, so a series does not pay
    // each blob's open latency between parts (bench/wado.ts).
    const open = (i: number): Promise<Readable> | undefined => {
      const plan = restPlans[i];
      if (!plan) return undefined;
      const opening = services.retrieve.instances.open(plan, signal).then((body) => {
        // Until the writer takes it, nobody else listens: a client hang-up aborts it with an
        // 'error' that must not become an uncaught exception. The writer's own listeners still
        // see every error, and an error before it takes over stays in `body.errored`.
        body.on('error', ignore);
        return body;
      });
      opening.catch(ignore); // awaited on the next turn; never an unhandled rejection
      return opening;
    };
    async function* parts(): AsyncGenerator<OutgoingPart> {
      let next = open(0);
      try {
        yield { headers: { 'Content-Type': partType(firstPlan!.transferSyntaxUid) }, body: first };
        for (let i = 0; i < restPlans.length; i++) {
          const body = await next!;
          next = open(i + 1);
          yield { headers: { 'Content-Type': partType(restPlans[i]!.transferSyntaxUid) }, body };
        }
      } finally {
        // Client gone or a part failed: release a blob opened ahead and never sent.
        void next?.then(
          (body) => body.destroy(),
          () => undefined,
        );
      }
    }
    const boundary = newBoundary();
    return streamResponse(
      writeMultipartRelated(parts(), boundary, { highWaterMark: STREAM_AHEAD }),
      200,
      {
        ...headers,
        'Content-Type': `multipart/related; type="${DICOM}"; boundary=${boundary}`,
      },
    );
  };
}

function ignore(): void {}

import type { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { FailureReason, type StoreOutcome } from './outcomes.js';
import type { StoreContext, StoreInstances } from './store-instances.js';

/** One part of a STOW request: its bytes, or why it is refused without being read. */
export interface IncomingInstance {
  body: Readable;
  /** Set when the part is refused up front (e.g. its media type); the body is drained. */
  refusal?: string | undefined;
}

/** What became of one part: its outcome, or the error that stopped it (not its own fault). */
export type PartResult = { outcome: StoreOutcome } | { error: unknown };

export interface StoreManyResult {
  /** One per part started, in request order. */
  parts: PartResult[];
  /**
   * Reading the request failed after `parts.length` parts (body cut off, STOW_MAX_PARTS
   * exceeded, client gone); parts not yet started were not read.
   */
  readError?: unknown;
}

/**
 * Stores the parts of one request in order, overlapping each part's durable finish (fsync and
 * index commit) with the reading of the next: part N+1 starts streaming as soon as part N's
 * bytes have all been read, while at most `maxInFlight` parts are still being finished. Only one
 * part reads from the request at a time, so memory stays bounded as with one part. Commits
 * happen in request order, and results come back in it. If reading the request fails, the parts
 * already started are still finished and reported with the read error, so the caller can tell
 * the client exactly what was stored (web/stow-partial.ts).
 */
export async function storeMany(
  store: StoreInstances,
  parts: AsyncIterable<IncomingInstance> | Iterable<IncomingInstance>,
  context: StoreContext,
  maxInFlight = 4,
): Promise<StoreManyResult> {
  const started: Promise<StoreOutcome>[] = [];
  // Parts queue their commits in request order; those queued while one commits go together.
  const commits = store.newCommitQueue();
  const inFlight = new Set<Promise<unknown>>();
  let previous: Promise<unknown> | undefined;
  let readError: { error: unknown } | undefined;
  try {
    for await (const part of parts) {
      if (part.refusal !== undefined) {
        await drained(part.body);
        started.push(
          Promise.resolve({
            ok: false,
            reason: FailureReason.CannotUnderstand,
            detail: part.refusal,
          }),
        );
        continue;
      }
      let queued!: () => void;
      const turn = new Promise<void>((resolve) => (queued = resolve));
      const outcome = store.storeOne(part.body, {
        ...context,
        commitAfter: previous,
        queued,
        commits,
      });
      started.push(outcome);
      const settled = outcome.then(
        () => undefined,
        () => undefined,
      );
      previous = turn;
      inFlight.add(settled);
      void settled.then(() => inFlight.delete(settled));
      // The next part may only be read once this one's bytes are consumed (or it gave up).
      await Promise.race([drainedWithoutResuming(part.body), settled]);
      while (inFlight.size >= maxInFlight) await Promise.race(inFlight);
    }
  } catch (error) {
    readError = { error };
  }
  const settled = await Promise.allSettled(started);
  return {
    parts: settled.map((r) =>
      r.status === 'fulfilled' ? { outcome: r.value } : { error: r.reason as unknown },
    ),
    ...(readError ? { readError: readError.error } : {}),
  };
}

async function drained(body: Readable): Promise<void> {
  body.resume();
  await finished(body);
}

/** Resolves when `body` has ended or failed, without consuming it. */
function drainedWithoutResuming(body: Readable): Promise<void> {
  return finished(body).catch(() => undefined);
}

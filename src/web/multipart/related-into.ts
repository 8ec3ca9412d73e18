import type { Readable, Writable } from 'node:stream';
import { pump, writeChunk } from '../pump.js';
import { assertBoundary, closeDelimiterOf, partHead, type OutgoingPart } from './related-writer.js';

/**
 * The bytes of writeMultipartRelated(), written into `sink` (the Node response: web/direct-body.ts)
 * instead of produced as a Readable: each part's head, then its body pumped with the socket's
 * backpressure (web/pump.ts), one part at a time, then the close delimiter. Does not end `sink`.
 *
 * However it stops (the client gone, a part that fails), the part being written is destroyed and
 * `parts` is returned early (`for await`), so a body its producer opened ahead is released too.
 */
export async function writeMultipartRelatedInto(
  sink: Writable,
  parts: AsyncIterable<OutgoingPart> | Iterable<OutgoingPart>,
  boundary: string,
): Promise<void> {
  assertBoundary(boundary);
  let first = true;
  for await (const part of parts) {
    const isFirst = first;
    first = false;
    const body = part.body;
    if (body instanceof Uint8Array) {
      await writeChunk(sink, partHead(boundary, isFirst, part.headers));
      if (body.byteLength > 0) await writeChunk(sink, body);
      continue;
    }
    try {
      await writeChunk(sink, partHead(boundary, isFirst, part.headers));
      await pump(body, sink);
    } finally {
      release(body);
    }
  }
  await writeChunk(sink, closeDelimiterOf(boundary, first));
}

function release(body: Readable): void {
  if (!body.readableEnded) body.destroy();
}

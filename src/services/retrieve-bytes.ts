/**
 * Reading parts of a stored instance by the offsets recorded at ingest: plain files by byte
 * range (never the whole blob), deflated files (PS3.5 §A.5) by inflating from the dataset start
 * up to the last byte wanted — the one documented case where a read costs more than its range.
 */
import type { Readable } from 'node:stream';
import { inflateChunks } from '../dicom/part10/inflate.js';
import { lenderOf } from '../lib/buffer-pool.js';
import type { BlobStore } from '../storage/blob-store.js';
import { StoredLayoutError } from './errors.js';
import type { StoredInstance } from './stored-instance.js';

export interface Span {
  /** Offset as recorded at ingest (file offset, or datasetOffset + inflated position). */
  offset: number;
  length: number;
}

type Located = Pick<StoredInstance, 'blobKey' | 'datasetOffset' | 'deflated'>;

/** The bytes of each span, in the order given. */
export async function readSpans(
  store: BlobStore,
  instance: Located,
  spans: readonly Span[],
  signal?: AbortSignal,
): Promise<Buffer[]> {
  if (instance.deflated) return readInflatedSpans(store, instance, spans, signal);
  const out: Buffer[] = [];
  for (const span of spans) out.push(await readRange(store, instance.blobKey, span, signal));
  return out;
}

/** One byte range of a blob, whole in memory (callers keep spans frame-sized). */
export async function readRange(
  store: BlobStore,
  key: string,
  span: Span,
  signal?: AbortSignal,
): Promise<Buffer> {
  if (span.length === 0) return Buffer.alloc(0);
  const stream = await store.get(key, {
    range: { start: span.offset, end: span.offset + span.length - 1 },
    ...(signal ? { signal } : {}),
  });
  const data = await collect(stream, span.length);
  if (data.length !== span.length) {
    throw new StoredLayoutError(
      `stored blob ends before a recorded range (${data.length} of ${span.length} bytes)`,
    );
  }
  return data;
}

async function collect(stream: Readable, expected: number): Promise<Buffer> {
  const target = Buffer.allocUnsafe(expected);
  let filled = 0;
  const lender = lenderOf(stream);
  for await (const chunk of stream as AsyncIterable<Uint8Array>) {
    const take = Math.min(chunk.length, expected - filled);
    target.set(chunk.subarray(0, take), filled);
    lender?.give(chunk); // copied: nothing holds it any more (lib/buffer-pool.ts)
    filled += take;
    if (filled >= expected) break;
  }
  stream.destroy();
  return filled === expected ? target : target.subarray(0, filled);
}

/**
 * The inflated dataset as a stream of chunks positioned from `datasetOffset` (offsets of a
 * deflated instance count inflated bytes from there, see dicom/part10/scan.ts).
 */
export async function inflatedDataset(
  store: BlobStore,
  instance: Located,
  signal?: AbortSignal,
): Promise<{ chunks: AsyncGenerator<Uint8Array>; source: Readable }> {
  const source = await store.get(instance.blobKey, {
    range: { start: instance.datasetOffset },
    ...(signal ? { signal } : {}),
  });
  const iterator = (source as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
  const first = await iterator.next();
  const head = first.done ? new Uint8Array(0) : first.value;
  // PS3.5 §A.5 says raw deflate; some writers add a zlib header (scan.ts accepts both).
  const cmf = head[0] ?? 0;
  const flg = head[1] ?? 0;
  const zlibWrapped = (cmf & 0x0f) === 8 && cmf >> 4 <= 7 && ((cmf << 8) | flg) % 31 === 0;
  return { chunks: inflateChunks(replay(head, iterator), zlibWrapped), source };
}

async function readInflatedSpans(
  store: BlobStore,
  instance: Located,
  spans: readonly Span[],
  signal?: AbortSignal,
): Promise<Buffer[]> {
  const out = spans.map((s) => Buffer.alloc(s.length));
  const filled = spans.map(() => 0);
  const end = Math.max(...spans.map((s) => s.offset + s.length));
  const { chunks, source } = await inflatedDataset(store, instance, signal);
  let position = instance.datasetOffset;
  try {
    for await (const chunk of chunks) {
      const chunkEnd = position + chunk.length;
      spans.forEach((span, i) => {
        const from = Math.max(span.offset, position);
        const to = Math.min(span.offset + span.length, chunkEnd);
        if (to <= from) return;
        (out[i] as Buffer).set(chunk.subarray(from - position, to - position), from - span.offset);
        filled[i] = (filled[i] ?? 0) + (to - from);
      });
      position = chunkEnd;
      if (position >= end) break; // stop inflating: the rest of the file is not needed
    }
  } finally {
    source.destroy();
  }
  if (spans.some((s, i) => filled[i] !== s.length)) {
    throw new StoredLayoutError('the inflated dataset ends before a recorded range');
  }
  return out;
}

/** `head` then the rest of the iterator it came from (the first chunk must be short-peeked). */
async function* replay(
  head: Uint8Array,
  rest: AsyncIterator<Uint8Array>,
): AsyncGenerator<Uint8Array> {
  if (head.length > 0) yield head;
  for (let next = await rest.next(); !next.done; next = await rest.next()) yield next.value;
}

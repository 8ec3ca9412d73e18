/** Helpers for the multipart tests (not shipped code; kept beside the tests that use them). */
import { Readable } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { MultipartPart } from './part.js';

export interface ReadPart {
  index: number;
  headers: Record<string, string>;
  contentType?: string;
  contentLocation?: string;
  body: Buffer;
}

/** A byte stream delivering `data` in chunks of the given sizes (cycled), or of one size. */
export function chunked(data: Uint8Array, sizes: number | number[] = 64 * 1024): Readable {
  const list = typeof sizes === 'number' ? [sizes] : sizes;
  const chunks: Buffer[] = [];
  for (let at = 0, i = 0; at < data.length; i++) {
    const size = Math.max(1, list[i % list.length] ?? 1);
    chunks.push(Buffer.from(data.subarray(at, at + size)));
    at += size;
  }
  return Readable.from(chunks, { objectMode: false });
}

export async function readAll(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The next part, failing the test if there is none. */
export async function nextPart(parts: AsyncIterator<MultipartPart>): Promise<MultipartPart> {
  const next = await parts.next();
  if (next.done === true) throw new Error('expected another part');
  return next.value;
}

/** Reads every part, each body to its end, in the order the contract asks for. */
export async function readParts(parts: AsyncIterable<MultipartPart>): Promise<ReadPart[]> {
  const out: ReadPart[] = [];
  for await (const part of parts) {
    const body = await readAll(part.body);
    const read: ReadPart = { index: part.index, headers: { ...part.headers }, body };
    if (part.contentType !== undefined) read.contentType = part.contentType;
    if (part.contentLocation !== undefined) read.contentLocation = part.contentLocation;
    out.push(read);
  }
  return out;
}

/** The rejection of `promise`, failing the test if it resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await promise;
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error('expected a rejection');
}

/** A deadline for one wait, with a message saying what was awaited. */
export async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A full garbage collection, so memory checks see what is retained rather than what V8 has not
 * yet collected (the test process is not started with --expose-gc).
 */
export const collectGarbage: () => void = (() => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as unknown;
  return typeof gc === 'function' ? (gc as () => void) : () => {};
})();

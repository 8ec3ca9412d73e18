/**
 * Streaming inflate of a Deflated Explicit VR Little Endian dataset (PS3.5 §A.5) as an async
 * generator: input is fed only as output is consumed, so memory stays bounded, and bytes after
 * the end of the deflate stream (the even-length pad) are read and ignored.
 */
import { createInflate, createInflateRaw } from 'node:zlib';

/** Pause zlib while this many inflated bytes wait to be consumed. */
const HIGH_WATER = 1024 * 1024;

/** `zlibWrapped`: the stream has a zlib (RFC 1950) header instead of being raw deflate. */
export async function* inflateChunks(
  source: AsyncIterable<Uint8Array>,
  zlibWrapped = false,
): AsyncGenerator<Uint8Array> {
  const inflater = zlibWrapped ? createInflate() : createInflateRaw();
  const queue: Buffer[] = [];
  let queued = 0;
  let ended = false;
  let failure: unknown;
  let wake: (() => void) | undefined;
  const notify = (): void => {
    const resolve = wake;
    wake = undefined;
    resolve?.();
  };
  inflater.on('data', (chunk: Buffer) => {
    queue.push(chunk);
    queued += chunk.length;
    if (queued > HIGH_WATER) inflater.pause();
    notify();
  });
  inflater.on('end', () => {
    ended = true;
    notify();
  });
  inflater.on('error', (error: unknown) => {
    failure = error;
    notify();
  });

  inflater.on('drain', notify);
  // Wait for output, the end, an error or room to write. Never wait on a write callback: zlib
  // holds it back while its paused output is full, and the loop below is the only thing that
  // would drain that output (a small, highly compressed input deadlocked that way).
  const settle = (): Promise<void> =>
    new Promise<void>((resolve) => {
      wake = resolve;
      if (queue.length > 0 || ended || failure !== undefined) notify();
    });
  const iterator = source[Symbol.asyncIterator]();
  let inputDone = false;
  try {
    for (;;) {
      while (queue.length > 0) {
        const chunk = queue.shift() as Buffer;
        queued -= chunk.length;
        if (queued <= HIGH_WATER && inflater.isPaused()) inflater.resume();
        yield chunk;
      }
      if (failure !== undefined)
        throw failure instanceof Error ? failure : new Error('inflate failed', { cause: failure });
      if (ended) break;
      if (inputDone || inflater.writableNeedDrain) {
        await settle();
        continue;
      }
      const next = await iterator.next();
      if (next.done) {
        inputDone = true;
        inflater.end();
      } else {
        inflater.write(next.value); // errors arrive through the 'error' event
      }
    }
    // Drain what follows the deflate stream so the whole input is consumed.
    if (!inputDone)
      for (let next = await iterator.next(); !next.done; next = await iterator.next());
  } finally {
    inflater.destroy();
  }
}

import type { Readable } from 'node:stream';

/**
 * Reads the first `n` bytes of a stream without consuming them: they are pushed back
 * (`unshift`) so whoever reads next sees the whole stream. Resolves with fewer than `n` bytes
 * when the stream ends first (then nothing is pushed back and the stream is spent). Lets a
 * reader check a header — and fail with a proper error — before a response has started.
 */
export function peekBytes(stream: Readable, n: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let got = 0;
    const cleanup = () => {
      stream.off('readable', onReadable);
      stream.off('end', onEnd);
      stream.off('error', onError);
    };
    const onReadable = () => {
      let chunk: Buffer | null;
      while (got < n && (chunk = stream.read() as Buffer | null) !== null) {
        chunks.push(chunk);
        got += chunk.length;
      }
      if (got < n) return;
      cleanup();
      const all = Buffer.concat(chunks, got);
      stream.unshift(all);
      resolve(all.subarray(0, n));
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks, got));
    };
    const onError = (error: unknown) => {
      cleanup();
      reject(error instanceof Error ? error : new Error(String(error)));
    };
    stream.on('readable', onReadable);
    stream.once('end', onEnd);
    stream.once('error', onError);
  });
}

import type { Readable, Writable } from 'node:stream';
import { lenderOf } from '../lib/buffer-pool.js';

/** The client went away (or the response was destroyed) before the body was written. */
export class ResponseClosedError extends Error {
  readonly code = 'web.response_closed';
  constructor() {
    super('the response closed before its body was written');
    this.name = 'ResponseClosedError';
  }
}

/**
 * Writes `source` into `sink` without ending it, with the socket's backpressure: reading pauses
 * while `sink` is above its high-water mark and resumes on 'drain', so a slow client holds at
 * most the source's read-ahead plus one write. Chunks of a lending stream (lib/buffer-pool.ts)
 * go back to its pool once the socket has taken them; after a failed write they are left to the
 * collector, since the socket may still hold them.
 *
 * Resolves when `source` has ended; rejects with its error, or with ResponseClosedError when
 * `sink` closes first; in both cases `source` is destroyed (its file closed).
 */
export function pump(source: Readable, sink: Writable): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const pool = lenderOf(source);
    const settle = (error?: Error): void => {
      source.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
      sink.off('drain', onDrain).off('close', onSinkClose);
      if (error === undefined) return resolve();
      source.destroy();
      reject(error);
    };
    const onData = (chunk: Buffer): void => {
      const written = pool
        ? sink.write(chunk, (error) => {
            if (!error) pool.give(chunk);
          })
        : sink.write(chunk);
      if (!written) source.pause();
    };
    const onDrain = (): void => void source.resume();
    const onEnd = (): void => settle();
    const onError = (error: Error): void => settle(error);
    // Destroyed without an error (by someone else): the body would be cut silently otherwise.
    const onClose = (): void => {
      if (!source.readableEnded) settle(source.errored ?? new ResponseClosedError());
    };
    const onSinkClose = (): void => settle(new ResponseClosedError());
    if (source.errored) return settle(source.errored);
    if (sink.destroyed || sink.closed) return settle(new ResponseClosedError());
    if (source.readableEnded) return settle();
    if (source.destroyed) return settle(new Error('the body was destroyed before it was written'));
    source.on('data', onData).once('end', onEnd).once('error', onError).once('close', onClose);
    sink.on('drain', onDrain).once('close', onSinkClose);
    source.resume(); // even if someone paused it before
  });
}

/** Writes `chunk`, then waits for 'drain' if `sink` is above its high-water mark. */
export function writeChunk(sink: Writable, chunk: Uint8Array): Promise<void> {
  if (sink.destroyed || sink.closed) return Promise.reject(new ResponseClosedError());
  if (sink.write(chunk)) return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    const done = (error?: Error): void => {
      sink.off('drain', onDrain).off('close', onClose);
      if (error) reject(error);
      else resolve();
    };
    const onDrain = (): void => done();
    const onClose = (): void => done(new ResponseClosedError());
    sink.once('drain', onDrain).once('close', onClose);
  });
}

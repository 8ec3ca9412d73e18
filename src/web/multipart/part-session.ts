import type { Readable } from 'node:stream';
import { PartBody } from './part-body.js';
import type { MultipartPart } from './part.js';
import { TruncatedMultipartError } from './errors.js';

interface Waiter {
  resolve(part: MultipartPart | undefined): void;
  reject(err: unknown): void;
}

const ignore = (): void => {};

/**
 * The flow control both readers share: pulls the request body only while someone needs bytes
 * (a consumer waits for the next part, or the part being fed wants more), hands parts out in
 * order, and on a failure destroys the part being fed with the error and reports it to the
 * generator too.
 *
 * Memory: at most one source chunk beyond the current part body's high-water mark, because the
 * source is paused after any chunk that leaves the reader without demand.
 *
 * When the consumer stops early, fails, or the close delimiter is reached, the rest of the request
 * body is drained (read and dropped), not destroyed, so the server can still send its answer.
 * Errors from the source itself are passed on unchanged: a byte-counter limit or a client
 * abort keeps its own type; a source that closes before its end is a TruncatedMultipartError.
 */
export abstract class PartSession {
  protected current: PartBody | undefined;
  readonly #source: Readable;
  #parts: MultipartPart[] = [];
  #waiter: Waiter | undefined;
  #last: MultipartPart | undefined;
  #error: unknown;
  #failed = false;
  #done = false;
  #started = false;
  #released = false;

  constructor(source: Readable) {
    this.#source = source;
  }

  /** Parse one chunk of the request body; may throw a MultipartError. */
  protected abstract write(chunk: Buffer): void;
  /** The request body has ended; may throw a MultipartError. */
  protected abstract sourceEnded(): void;
  /** Extra backpressure of the parser itself. */
  protected blocked(): boolean {
    return false;
  }
  /** Called once when the session releases the source. */
  protected released(): void {}

  async nextPart(): Promise<MultipartPart | undefined> {
    const last = this.#last;
    // A body the consumer never touched is skipped, instead of stalling the whole request.
    if (last !== undefined && last.body.readableFlowing === null) last.body.resume();
    if (!this.#started) this.#start();
    const part = this.#parts.shift();
    if (part !== undefined) return (this.#last = part);
    if (this.#failed) throw this.#error;
    if (this.#done || this.#released) return undefined;
    return new Promise<MultipartPart | undefined>((resolve, reject) => {
      this.#waiter = { resolve, reject };
      this.wake();
    });
  }

  /** The consumer is done with the session (normally, by error, or early). */
  close(): void {
    const current = this.current;
    this.current = undefined;
    current?.destroy();
    for (const part of this.#parts) part.body.destroy();
    this.#parts = [];
    this.#settle(undefined);
    this.#release();
  }

  /** Resume reading the request if someone needs bytes. */
  protected readonly wake = (): void => {
    if (this.#demand()) this.#source.resume();
  };

  protected addPart(
    index: number,
    headers: Record<string, string>,
    onDemand: () => void = this.wake,
  ): PartBody {
    const body = new PartBody(onDemand);
    const part: MultipartPart = { index, headers, body };
    if (headers['content-type'] !== undefined) part.contentType = headers['content-type'];
    if (headers['content-location'] !== undefined)
      part.contentLocation = headers['content-location'];
    this.current = body;
    const waiter = this.#waiter;
    if (waiter !== undefined) {
      this.#waiter = undefined;
      this.#last = part;
      waiter.resolve(part);
    } else {
      this.#parts.push(part);
    }
    return body;
  }

  /** `body` (default: the current one) has all its bytes. */
  protected endPart(body: PartBody | undefined = this.current): void {
    body?.finish();
    if (body === this.current) this.current = undefined;
  }

  /** No more parts: the close delimiter (or the end of the form) was reached. */
  protected finish(): void {
    if (this.#failed || this.#done) return;
    this.#done = true;
    this.#settle(undefined);
    this.#release();
  }

  protected fail(err: unknown): void {
    if (this.#failed || this.#done || this.#released) return;
    this.#failed = true;
    this.#error = err;
    const current = this.current;
    this.current = undefined;
    current?.destroy(err instanceof Error ? err : new Error(String(err)));
    if (this.#parts.length === 0) this.#settle(err);
    this.#release();
  }

  #demand(): boolean {
    if (this.#failed || this.#done || this.#released || this.blocked()) return false;
    if (this.current !== undefined) return this.current.wantsData;
    return this.#waiter !== undefined;
  }

  #settle(err: unknown): void {
    const waiter = this.#waiter;
    this.#waiter = undefined;
    if (waiter === undefined) return;
    if (err === undefined) waiter.resolve(undefined);
    else waiter.reject(err);
  }

  #start(): void {
    this.#started = true;
    const source = this.#source;
    source.on('data', this.#onData);
    source.on('end', this.#onEnd);
    source.on('error', this.#onError);
    source.on('close', this.#onClose);
    if (source.readableEnded) this.#onEnd();
    else if (source.errored) this.#onError(source.errored);
    else if (source.destroyed) this.#onClose();
  }

  readonly #onData = (chunk: unknown): void => {
    try {
      this.write(toBuffer(chunk));
    } catch (err) {
      this.fail(err);
      return;
    }
    // Once released (close delimiter, failure), the source is left draining.
    if (!this.#released && !this.#demand()) this.#source.pause();
  };

  readonly #onEnd = (): void => {
    try {
      this.sourceEnded();
    } catch (err) {
      this.fail(err);
    }
  };

  readonly #onError = (err: unknown): void => {
    this.fail(err);
  };

  readonly #onClose = (): void => {
    // A source that errored has reported through 'error' already; this is a close with neither.
    if (this.#source.readableEnded || this.#source.errored) return;
    this.fail(new TruncatedMultipartError('the request body closed before its end'));
  };

  /** Stop parsing; drain what is left of the request body. */
  #release(): void {
    if (this.#released) return;
    this.#released = true;
    const source = this.#source;
    source.off('data', this.#onData);
    source.off('end', this.#onEnd);
    source.off('error', this.#onError);
    source.off('close', this.#onClose);
    source.on('error', ignore);
    if (this.#started && !source.destroyed && !source.readableEnded) source.resume();
    this.released();
  }
}

function toBuffer(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (chunk instanceof Uint8Array)
    return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  throw new TypeError('request body must be a byte stream (no setEncoding, no object mode)');
}

/** The parts of a session, one at a time; leaving early closes the session (drains the body). */
export async function* partsOf(session: PartSession): AsyncGenerator<MultipartPart> {
  try {
    for (;;) {
      const part = await session.nextPart();
      if (part === undefined) return;
      yield part;
    }
  } finally {
    session.close();
  }
}

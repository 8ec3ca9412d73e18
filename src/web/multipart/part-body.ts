import { Readable } from 'node:stream';

/** Per-part buffer ceiling; with one source chunk this bounds what a part holds in memory. */
const PART_HIGH_WATER_MARK = 64 * 1024;

/**
 * The Readable handed out as a part's body. The reader feeds it; `wantsData` tells the reader
 * whether to pull more from the request (false while the consumer is behind).
 */
export class PartBody extends Readable {
  #wantsData = true;
  #finished = false;
  readonly #onDemand: () => void;

  constructor(onDemand: () => void) {
    super({ highWaterMark: PART_HIGH_WATER_MARK });
    this.#onDemand = onDemand;
    // The reader reports the same error through the generator; a consumer that skipped this
    // body (resume() without an error listener) must not crash the process.
    this.on('error', () => {});
  }

  override _read(): void {
    this.#wantsData = true;
    this.#onDemand();
  }

  /** A destroyed body (skipped by its consumer) swallows the rest of its bytes. */
  get wantsData(): boolean {
    return this.destroyed || this.#wantsData;
  }

  feed(chunk: Buffer): void {
    if (this.destroyed || this.#finished) return;
    this.#wantsData = this.push(chunk);
  }

  finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    if (!this.destroyed) this.push(null);
  }
}

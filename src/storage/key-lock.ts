/**
 * Serialises async work per key inside one process. Object stores without conditional writes
 * (older MinIO, s3rver) can only refuse an existing key by checking before writing; holding this
 * lock from the check to the commit closes that race for puts of one process. Across processes
 * the backend's own condition (`If-None-Match: *`) is what holds.
 */
export class KeyLock {
  readonly #tails = new Map<string, Promise<void>>();

  async run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => mine);
    this.#tails.set(key, tail);
    await previous;
    try {
      return await work();
    } finally {
      release();
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    }
  }
}

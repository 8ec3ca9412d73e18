import type { Readable } from 'node:stream';

/**
 * `[item, body]` in order, the next item's body opened while the current one is consumed, so a
 * series does not pay each blob's open latency between parts (bench/wado.ts). The first body is
 * opened by the caller (before the status line: an offline tier is then a 503, not a cut body).
 * When the consumer stops early (client gone, a part failed), a body opened ahead and never
 * handed out is destroyed.
 */
export async function* readAhead<T>(
  first: readonly [T, Readable],
  rest: readonly T[],
  open: (item: T) => Promise<Readable>,
): AsyncGenerator<readonly [T, Readable]> {
  const openAt = (i: number): Promise<Readable> | undefined => {
    const item = rest[i];
    if (item === undefined) return undefined;
    const opening = open(item).then((body) => {
      // Until the consumer takes it, nobody else listens: a client hang-up aborts it with an
      // 'error' that must not become an uncaught exception. The consumer's own listeners still
      // see every error, and an error before it takes over stays in `body.errored`.
      body.on('error', ignore);
      return body;
    });
    opening.catch(ignore); // awaited on the next turn; never an unhandled rejection
    return opening;
  };
  let next = openAt(0);
  try {
    yield first;
    for (let i = 0; i < rest.length; i++) {
      const body = await next!;
      next = openAt(i + 1);
      yield [rest[i]!, body];
    }
  } finally {
    void next?.then(
      (body) => body.destroy(),
      () => undefined,
    );
  }
}

function ignore(): void {}

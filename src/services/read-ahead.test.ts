import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readAhead } from './read-ahead.js';

const body = (text: string) => Readable.from([Buffer.from(text)]);

describe('readAhead', () => {
  it('hands out every body in order, opening the next before the current one is taken', async () => {
    const opened: string[] = [];
    const open = (item: string) => {
      opened.push(item);
      return Promise.resolve(body(item));
    };
    const seen: string[] = [];
    for await (const [item, stream] of readAhead(['a', body('a')], ['b', 'c'], open)) {
      seen.push(item, `opened:${opened.join('')}`);
      stream.destroy();
    }
    expect(seen).toEqual(['a', 'opened:b', 'b', 'opened:bc', 'c', 'opened:bc']);
  });

  it('destroys a body opened ahead when the consumer stops early', async () => {
    const ahead = body('b');
    const items = readAhead(['a', body('a')], ['b'], () => Promise.resolve(ahead));
    await items.next();
    await items.return(undefined);
    await new Promise((resolve) => setImmediate(resolve));
    expect(ahead.destroyed).toBe(true);
  });
});

import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { createTee } from './tee.js';

const chunks = (n: number, size: number) =>
  Array.from({ length: n }, (_, i) => Buffer.alloc(size, i % 256));

async function collect(stream: AsyncIterable<Buffer>, delayMs = 0): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of stream) {
    parts.push(chunk);
    if (delayMs) await sleep(delayMs);
  }
  return Buffer.concat(parts);
}

describe('createTee', () => {
  it('gives both sides every byte, with a slow branch consumer', async () => {
    const input = chunks(40, 64 * 1024);
    const { tap, branch } = createTee(128 * 1024);
    const main: Buffer[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _e, cb) {
        main.push(chunk);
        cb();
      },
    });
    const [, branched] = await Promise.all([
      pipeline(Readable.from(input), tap, sink),
      collect(branch, 1),
    ]);
    const expected = Buffer.concat(input);
    expect(Buffer.concat(main).equals(expected)).toBe(true);
    expect(branched.equals(expected)).toBe(true);
  });

  it('keeps the main flow going when the branch consumer gives up', async () => {
    const input = chunks(40, 64 * 1024);
    const { tap, branch } = createTee(64 * 1024);
    let mainBytes = 0;
    const sink = new Writable({
      write(chunk: Buffer, _e, cb) {
        mainBytes += chunk.length;
        cb();
      },
    });
    const reading = (async () => {
      // Stops after one chunk, destroying the branch.
      for await (const chunk of branch) if (chunk) break;
    })();
    await pipeline(Readable.from(input), tap, sink);
    await reading;
    expect(mainBytes).toBe(40 * 64 * 1024);
  });

  it('passes an upstream error to the branch', async () => {
    const { tap, branch } = createTee();
    const failing = new Readable({
      read() {
        this.destroy(new Error('upstream broke'));
      },
    });
    const sink = new Writable({ write: (_c, _e, cb) => cb() });
    const branched = collect(branch); // the branch is being read, as the scanner does
    await expect(pipeline(failing, tap, sink)).rejects.toThrow('upstream broke');
    await expect(branched).rejects.toThrow('upstream broke');
  });
});

import { describe, expect, it } from 'vitest';
import { syntheticNativeInstance, syntheticPixelLength } from '../testing/build-part10.js';
import { scanPart10 } from './scan.js';

describe('scanPart10 memory', () => {
  it('scans a ~300 MB native instance streamed in 1 MiB chunks with bounded memory', async () => {
    const pixelBytes = 300 * 1024 * 1024;
    globalThis.gc?.();
    const before = process.memoryUsage().rss;
    let peak = before;
    let header = true;
    const source = (async function* () {
      for await (const chunk of syntheticNativeInstance(pixelBytes)) {
        if (header) {
          header = false;
          yield chunk;
          continue;
        }
        peak = Math.max(peak, process.memoryUsage.rss());
        // A fresh, touched buffer per chunk (as a socket gives): kept chunks would show in RSS.
        yield new Uint8Array(chunk.length).fill(0x5a);
      }
    })();
    const result = await scanPart10(source);
    expect(result.pixelData).toMatchObject({
      kind: 'native',
      tag: '7FE00010',
      length: syntheticPixelLength(pixelBytes),
    });
    expect(result.size).toBe((result.pixelData?.offset ?? 0) + syntheticPixelLength(pixelBytes));
    expect(peak - before).toBeLessThan(100 * 1024 * 1024);
  });
});

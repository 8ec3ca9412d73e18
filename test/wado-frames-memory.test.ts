/**
 * Hardening: native frames stream from storage as a byte range (PS3.18 10.4.1.1.4), never as a
 * whole-frame buffer. Four parallel requests of one 32 MiB frame must together hold less than
 * one frame in memory, and every byte must arrive intact.
 */
import { createHash } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeInstance, type GeneratedInstance } from './helpers/make-dicom.js';
import { stow } from './helpers/multipart.js';
import { startTestServer, type TestServer } from './helpers/server.js';
import { boundaryOf } from './helpers/wado-multipart.js';

const SIDE = 4096;
const FRAME_BYTES = SIDE * SIDE * 2; // 32 MiB of 16-bit samples

/**
 * What is held, not what waits for the collector: streamed chunks already sent are garbage, and
 * how much of it piles up before a collection depends on the machine's load. Whenever a sample
 * crosses the bound the heap is collected and measured again, so only live buffers count.
 */
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
function liveArrayBuffers(bound: number): number {
  const now = process.memoryUsage().arrayBuffers;
  if (now < bound) return now;
  gc();
  return process.memoryUsage().arrayBuffers;
}
const ELE = '1.2.840.10008.1.2.1';

let server: TestServer;
let image: GeneratedInstance;
let frameHash: string;

beforeAll(async () => {
  server = await startTestServer();
  image = makeInstance({ pixelBytes: FRAME_BYTES });
  // Pixel Data is the last element: the frame is the file's last FRAME_BYTES bytes.
  frameHash = sha256(image.bytes.subarray(image.bytes.length - FRAME_BYTES));
  const response = await stow(`${server.base}/studies`, [{ body: image.bytes }]);
  expect(response.status).toBe(200);
}, 120_000);

afterAll(async () => {
  await server?.close();
});

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Reads a body chunk by chunk, keeping only a hash and the byte count. */
async function digest(response: Response): Promise<{ hash: string; length: number }> {
  const hash = createHash('sha256');
  let length = 0;
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    hash.update(chunk);
    length += chunk.length;
  }
  return { hash: hash.digest('hex'), length };
}

describe('Retrieve Frames of a large native frame', () => {
  it('streams four parallel requests with less than one frame of memory, bytes identical', async () => {
    const url = `${server.base}/studies/${image.studyInstanceUid}/series/${image.seriesInstanceUid}/instances/${image.sopInstanceUid}/frames/1`;
    gc();
    const baseline = process.memoryUsage().arrayBuffers;
    const bound = baseline + FRAME_BYTES;
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, liveArrayBuffers(bound));
    }, 2);
    try {
      const results = await Promise.all(
        [0, 1, 2, 3].map(async (i) => {
          const multipart = i % 2 === 0;
          const response = await fetch(url, {
            headers: {
              Accept: multipart
                ? 'multipart/related; type="application/octet-stream"'
                : 'application/octet-stream',
            },
          });
          expect(response.status).toBe(200);
          const got = await digest(response);
          peak = Math.max(peak, liveArrayBuffers(bound));
          if (!multipart) return got.hash === frameHash && got.length === FRAME_BYTES;
          const boundary = boundaryOf(response.headers.get('content-type'));
          const head = `--${boundary}\r\nContent-Type: application/octet-stream; transfer-syntax=${ELE}\r\n\r\n`;
          const tail = `\r\n--${boundary}--\r\n`;
          const frame = image.bytes.subarray(image.bytes.length - FRAME_BYTES);
          return got.hash === sha256(Buffer.concat([Buffer.from(head), frame, Buffer.from(tail)]));
        }),
      );
      expect(results).toEqual([true, true, true, true]);
    } finally {
      clearInterval(sampler);
    }
    // Buffered, each request held the frame (and a copy for the multipart body): >= 4 frames.
    expect(peak - baseline).toBeLessThan(FRAME_BYTES);
  });
});

/**
 * Zeroes the 128-byte File Preamble (PS3.10 §7.1) as bytes pass through, so stored files
 * cannot be polyglots (CVE-2019-11687). Every other byte passes unchanged, whatever the chunking.
 */
import { Transform, type TransformCallback } from 'node:stream';

export const PREAMBLE_LENGTH = 128;

export function zeroPreamble(): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
      if (seen >= PREAMBLE_LENGTH) {
        seen += chunk.length;
        callback(null, chunk);
        return;
      }
      const zeroed = Math.min(PREAMBLE_LENGTH - seen, chunk.length);
      const out = Buffer.from(chunk); // copy: the caller's buffer is not ours to change
      out.fill(0, 0, zeroed);
      seen += chunk.length;
      callback(null, out);
    },
  });
}

import { createHash } from 'node:crypto';
import { Transform } from 'node:stream';

export interface HashTap {
  /** Pass-through transform; put it in a `pipeline()`. */
  tap: Transform;
  /** Hex digest of every byte that passed; only once the stream has ended. */
  digest(): string;
}

/** Hashes bytes as they pass through (`algorithm`: any `crypto.createHash` name). */
export function createHashTap(algorithm = 'sha256'): HashTap {
  const hash = createHash(algorithm);
  let hex: string | undefined;
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      callback(null, chunk);
    },
    flush(callback) {
      hex = hash.digest('hex');
      callback();
    },
  });
  return {
    tap,
    digest() {
      if (hex === undefined) throw new Error('hash tap: digest() called before the stream ended');
      return hex;
    },
  };
}

import { PassThrough, Transform } from 'node:stream';

/**
 * A pass-through that also feeds every chunk to a second readable (`branch`), with backpressure
 * on both: a slow branch consumer slows the main flow instead of buffering without bound.
 * If the branch consumer stops early (destroys the branch), the main flow goes on undisturbed.
 */
export function createTee(highWaterMark = 1024 * 1024): { tap: Transform; branch: PassThrough } {
  const branch = new PassThrough({ highWaterMark });
  const tap = new Transform({
    highWaterMark,
    transform(chunk: Buffer, _encoding, callback) {
      if (branch.destroyed || branch.writableEnded) return callback(null, chunk);
      if (branch.write(chunk)) return callback(null, chunk);
      const resume = () => {
        branch.off('drain', resume);
        branch.off('close', resume);
        callback(null, chunk);
      };
      branch.on('drain', resume);
      branch.on('close', resume);
    },
    flush(callback) {
      if (!branch.destroyed) branch.end();
      callback();
    },
    destroy(error, callback) {
      if (!branch.destroyed && !branch.writableEnded) branch.destroy(error ?? undefined);
      callback(error);
    },
  });
  return { tap, branch };
}

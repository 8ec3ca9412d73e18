import { pipeline, Transform, type Readable } from 'node:stream';
import type { BlobKey, ByteRange } from './blob-store.js';
import { StorageUnavailableError } from './errors.js';
import { resolveRange } from './range.js';

/**
 * Checks the range the server answered against the one asked, by `Content-Range`
 * (`bytes a-b/total`), and cuts the asked bytes out when the server sent more: RFC 9110 §14.2
 * lets a server ignore Range and send the whole object, s3rver answers `bytes=0-0` with the
 * whole object and an empty object's range with `bytes 0-0/0`. S3 and Azure answer exactly, so
 * there the check costs nothing.
 */
export function cutToRange(
  key: BlobKey,
  range: ByteRange,
  response: { contentRange?: string | undefined; contentLength?: number | undefined },
  body: Readable,
): Readable {
  const match = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(response.contentRange ?? '');
  const total = match ? Number(match[3]) : (response.contentLength ?? 0);
  const sentStart = match ? Number(match[1]) : 0;
  const sentEnd = match ? Number(match[2]) : total - 1;
  try {
    const wanted = resolveRange(key, total, range)!;
    if (sentStart > wanted.start || sentEnd < wanted.end) {
      throw new StorageUnavailableError(
        `the backend answered another range than asked for blob ${key}`,
      );
    }
    if (sentStart === wanted.start && sentEnd === wanted.end) return body;
    // pipeline (not pipe): a body failing mid-stream destroys the slice with its error.
    return pipeline(body, sliceStream(wanted.start - sentStart, wanted.end - sentStart), () => {});
  } catch (error) {
    body.destroy();
    throw error;
  }
}

/** Passes bytes `start`..`end` (inclusive) of a stream, then ends. */
function sliceStream(start: number, end: number): Transform {
  let offset = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      const from = Math.max(start - offset, 0);
      const to = Math.min(end + 1 - offset, chunk.length);
      offset += chunk.length;
      callback(null, from < to ? chunk.subarray(from, to) : undefined);
    },
  });
}

import { Transform, type TransformCallback } from 'node:stream';
import type { BlobKey } from './blob-store.js';
import { BlobIntegrityError, EncryptionKeyUnknownError } from './errors.js';
import {
  HEADER_BYTES,
  TAG_BYTES,
  openChunk,
  parseHeader,
  sealChunk,
  type Header,
} from './encrypted-format.js';

/**
 * Plaintext in, the encrypted format out (header, then sealed chunks). One full chunk is held
 * back until more bytes arrive or the input ends, because only then is it known whether it is
 * the final chunk (its AAD says so). Memory: about two chunks.
 */
export function encryptStream(key: Buffer, header: Header): Transform {
  let pending: Buffer[] = [];
  let pendingSize = 0;
  let index = 0;
  const size = header.chunkSize;
  let headerSent = false;
  const sendHeader = (stream: Transform) => {
    if (!headerSent) stream.push(header.bytes);
    headerSent = true;
  };
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      sendHeader(this);
      pending.push(chunk);
      pendingSize += chunk.length;
      if (pendingSize > size) {
        const all = Buffer.concat(pending, pendingSize);
        let offset = 0;
        // Seal every whole chunk that is surely not the last (more bytes follow it).
        while (all.length - offset > size) {
          this.push(sealChunk(key, header, index++, false, all.subarray(offset, offset + size)));
          offset += size;
        }
        pending = [all.subarray(offset)];
        pendingSize = all.length - offset;
      }
      callback();
    },
    flush(callback: TransformCallback) {
      sendHeader(this);
      this.push(sealChunk(key, header, index, true, Buffer.concat(pending, pendingSize)));
      callback();
    },
  });
}

export interface DecryptPlan {
  /** Chunk index the ciphertext input starts at (0 for a whole-object read). */
  firstChunk: number;
  /**
   * For a range read: the last chunk in the input and the object's chunk count (to know which
   * chunk is final). Unset for a whole-object read, where the end of input marks the final one.
   */
  lastChunk?: number;
  totalChunks?: number;
  /** Plaintext bytes to drop from the first chunk, and how many to pass in all. */
  skip: number;
  take: number | undefined;
}

/**
 * Ciphertext in, verified plaintext out. With `known` unset the input starts with the header (a
 * whole-object read). A chunk's bytes are emitted only once its tag verifies; a bad tag, a short
 * or missing chunk, or bytes after the final chunk destroy the stream with BlobIntegrityError,
 * so a reader never gets unverified or incomplete data without an error.
 */
export function decryptStream(
  blobKey: BlobKey,
  keys: ReadonlyMap<string, Buffer>,
  known: Header | undefined,
  plan: DecryptPlan,
): Transform {
  let header = known;
  let key = header ? keys.get(header.keyId) : undefined;
  let rest: Buffer = Buffer.alloc(0);
  let index = plan.firstChunk;
  let skip = plan.skip;
  let remaining = plan.take;
  const ranged = plan.totalChunks !== undefined;

  const emit = (stream: Transform, plain: Buffer) => {
    let out = plain.subarray(Math.min(skip, plain.length));
    skip -= plain.length - out.length;
    if (remaining !== undefined) {
      out = out.subarray(0, remaining);
      remaining -= out.length;
    }
    if (out.length > 0) stream.push(out);
  };
  const open = (stream: Transform, sealed: Buffer, final: boolean) => {
    emit(stream, openChunk(blobKey, key!, header!, index, final, sealed));
    index++;
  };

  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      try {
        let all: Buffer = rest.length > 0 ? Buffer.concat([rest, chunk]) : chunk;
        if (!header) {
          if (all.length < HEADER_BYTES) {
            rest = all;
            return callback();
          }
          header = parseHeader(blobKey, all);
          key = keys.get(header.keyId);
          if (!key) throw new EncryptionKeyUnknownError(blobKey, header.keyId);
          all = all.subarray(HEADER_BYTES);
        }
        const sealedSize = header.chunkSize + TAG_BYTES;
        let offset = 0;
        // A whole-object read keeps the last full chunk back: only the end of input says it is
        // final. A range read knows from the chunk count.
        while (all.length - offset > sealedSize || (ranged && all.length - offset === sealedSize)) {
          if (ranged && index > plan.lastChunk!)
            throw new BlobIntegrityError(blobKey, 'trailing bytes');
          open(
            this,
            all.subarray(offset, offset + sealedSize),
            ranged && index === plan.totalChunks! - 1,
          );
          offset += sealedSize;
        }
        rest = Buffer.from(all.subarray(offset));
        callback();
      } catch (error) {
        callback(error as Error);
      }
    },
    flush(callback: TransformCallback) {
      try {
        if (!header) throw new BlobIntegrityError(blobKey, 'truncated header');
        if (ranged) {
          if (rest.length > 0) {
            // A short chunk can only be the object's final chunk.
            if (index !== plan.totalChunks! - 1 || index !== plan.lastChunk) {
              throw new BlobIntegrityError(blobKey, 'truncated');
            }
            open(this, rest, true);
          }
          if (index !== plan.lastChunk! + 1) throw new BlobIntegrityError(blobKey, 'truncated');
        } else {
          if (rest.length === 0) throw new BlobIntegrityError(blobKey, 'truncated');
          open(this, rest, true);
        }
        callback();
      } catch (error) {
        callback(error as Error);
      }
    },
  });
}

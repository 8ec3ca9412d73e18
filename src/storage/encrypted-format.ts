import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { BlobKey } from './blob-store.js';
import { BlobIntegrityError } from './errors.js';

/**
 * The encrypted object format, version 1:
 *
 *   header (50 bytes): "STRE" | version u8 = 1 | key id length u8 | key id (32 bytes, zero padded)
 *                      | chunk size u32 BE | nonce prefix (8 random bytes)
 *   chunks: AES-256-GCM(plaintext[i·C … (i+1)·C)) ‖ 16-byte tag, for i = 0 … n−1
 *
 * Every chunk holds C plaintext bytes except the last (1…C; 0 only for the empty object, which
 * still has its one final chunk, so truncation to the bare header is detected). IV = nonce
 * prefix ‖ i (u32 BE): unique per object and chunk, so a key can seal 2^32 chunks per object
 * and, with 64-bit random prefixes, billions of objects before nonce reuse becomes plausible
 * (NIST SP 800-38D §8.3). AAD = header ‖ i (u32 BE) ‖ final flag (u8), so changing the header,
 * swapping or reordering chunks, dropping trailing chunks or appending any fail the tag check.
 * A fixed header size lets `stat` compute the plaintext size from the stored size alone.
 */
export const MAGIC = Buffer.from('STRE', 'ascii');
export const VERSION = 1;
export const KEY_ID_BYTES = 32;
export const NONCE_PREFIX_BYTES = 8;
export const TAG_BYTES = 16;
export const HEADER_BYTES = 4 + 1 + 1 + KEY_ID_BYTES + 4 + NONCE_PREFIX_BYTES;
/** Plaintext bytes per chunk in objects this version writes. */
export const CHUNK_BYTES = 64 * 1024;

export interface Header {
  keyId: string;
  chunkSize: number;
  noncePrefix: Buffer;
  /** The encoded header, part of every chunk's AAD. */
  bytes: Buffer;
}

export function newHeader(keyId: string, chunkSize = CHUNK_BYTES): Header {
  const id = Buffer.from(keyId, 'utf8');
  if (id.length === 0 || id.length > KEY_ID_BYTES) throw new Error('key id must be 1–32 bytes');
  const bytes = Buffer.alloc(HEADER_BYTES);
  MAGIC.copy(bytes, 0);
  bytes[4] = VERSION;
  bytes[5] = id.length;
  id.copy(bytes, 6);
  bytes.writeUInt32BE(chunkSize, 6 + KEY_ID_BYTES);
  const noncePrefix = randomBytes(NONCE_PREFIX_BYTES);
  noncePrefix.copy(bytes, 10 + KEY_ID_BYTES);
  return { keyId, chunkSize, noncePrefix, bytes };
}

export function parseHeader(key: BlobKey, bytes: Buffer): Header {
  if (bytes.length < HEADER_BYTES) throw new BlobIntegrityError(key, 'truncated header');
  const header = bytes.subarray(0, HEADER_BYTES);
  if (!header.subarray(0, 4).equals(MAGIC)) throw new BlobIntegrityError(key, 'not encrypted');
  if (header[4] !== VERSION) throw new BlobIntegrityError(key, `unknown version ${header[4]}`);
  const idLength = header[5]!;
  if (idLength === 0 || idLength > KEY_ID_BYTES) throw new BlobIntegrityError(key, 'bad key id');
  const chunkSize = header.readUInt32BE(6 + KEY_ID_BYTES);
  if (chunkSize === 0) throw new BlobIntegrityError(key, 'bad chunk size');
  return {
    keyId: header.subarray(6, 6 + idLength).toString('utf8'),
    chunkSize,
    noncePrefix: Buffer.from(header.subarray(10 + KEY_ID_BYTES)),
    bytes: Buffer.from(header),
  };
}

/** Number of chunks for `plainSize` bytes: at least one. */
export function chunkCount(plainSize: number, chunkSize = CHUNK_BYTES): number {
  return Math.max(1, Math.ceil(plainSize / chunkSize));
}

export function cipherSize(plainSize: number, chunkSize = CHUNK_BYTES): number {
  return HEADER_BYTES + plainSize + chunkCount(plainSize, chunkSize) * TAG_BYTES;
}

/** The plaintext size of a stored object of `storedSize` bytes; undefined when impossible. */
export function plainSize(storedSize: number, chunkSize = CHUNK_BYTES): number | undefined {
  const body = storedSize - HEADER_BYTES;
  if (body < TAG_BYTES) return undefined;
  const chunks = Math.ceil(body / (chunkSize + TAG_BYTES));
  const size = body - chunks * TAG_BYTES;
  return size >= 0 && chunkCount(size, chunkSize) === chunks ? size : undefined;
}

function iv(header: Header, index: number): Buffer {
  const bytes = Buffer.alloc(12);
  header.noncePrefix.copy(bytes, 0);
  bytes.writeUInt32BE(index, 8);
  return bytes;
}

function aad(header: Header, index: number, final: boolean): Buffer {
  const tail = Buffer.alloc(5);
  tail.writeUInt32BE(index, 0);
  tail[4] = final ? 1 : 0;
  return Buffer.concat([header.bytes, tail]);
}

export function sealChunk(
  key: Buffer,
  header: Header,
  index: number,
  final: boolean,
  plain: Buffer,
): Buffer {
  const cipher = createCipheriv('aes-256-gcm', key, iv(header, index));
  cipher.setAAD(aad(header, index, final));
  const body = Buffer.concat([cipher.update(plain), cipher.final()]);
  return Buffer.concat([body, cipher.getAuthTag()]);
}

/** Decrypts and verifies one chunk; returns plaintext only when the tag verifies. */
export function openChunk(
  blobKey: BlobKey,
  key: Buffer,
  header: Header,
  index: number,
  final: boolean,
  sealed: Buffer,
): Buffer {
  if (sealed.length < TAG_BYTES) throw new BlobIntegrityError(blobKey, 'truncated chunk');
  const decipher = createDecipheriv('aes-256-gcm', key, iv(header, index));
  decipher.setAAD(aad(header, index, final));
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
  try {
    const plain = decipher.update(sealed.subarray(0, sealed.length - TAG_BYTES));
    return Buffer.concat([plain, decipher.final()]);
  } catch (error) {
    throw new BlobIntegrityError(blobKey, `chunk ${index} does not authenticate`, {
      cause: error,
    });
  }
}

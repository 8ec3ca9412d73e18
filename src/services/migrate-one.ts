import { createHash } from 'node:crypto';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { recordPendingBlob, scheduleBlobDeletion } from '../index/blob-journal.repository.js';
import type { Db } from '../index/db.js';
import { switchTier, type MigrationCandidate } from '../index/hsm.repository.js';
import { createByteCounter } from '../lib/byte-counter.js';
import { ProjectError } from '../lib/errors.js';
import { createHashTap } from '../lib/hash-tap.js';
import type { BlobStore } from '../storage/blob-store.js';
import { BlobOfflineError } from '../storage/errors.js';
import { newBlobKey } from '../storage/keys.js';
import type { SweepBlobs } from './sweep-blobs.js';

/** Named points of a move where tests kill the process (test/hsm-crash.test.ts). */
export type MigrationFaultPoint =
  'hsm-during-copy' | 'hsm-after-copy' | 'hsm-after-verify' | 'hsm-after-switch';

export type MoveStep = 'journal' | 'copy' | 'verify' | 'switch' | 'source-delete';

export type MoveOutcome =
  | { kind: 'moved'; bytes: number }
  /** Not moved, nothing wrong: changed meanwhile, or waiting for an offline restore. */
  | { kind: 'skipped'; reason: 'changed' | 'expired' | 'offline' }
  /** PHI-free: the source key, the step and an error code only. */
  | { kind: 'failed'; key: string; step: MoveStep; code: string };

export interface MoveDeps {
  db: Db;
  sweeper: SweepBlobs;
  pendingGraceSeconds: number;
  deleteGraceSeconds: number;
  fault?: ((point: MigrationFaultPoint) => void) | undefined;
}

/** A backend that can bring an offline object back (S3 Glacier restore, Azure rehydrate). */
interface RestorableStore {
  requestRestore(key: string): Promise<unknown>;
}

/** Copy mismatch: the bytes read back are not the bytes the index recorded. */
export class MigrationVerifyError extends ProjectError {
  override readonly name = 'MigrationVerifyError';
  readonly code = 'hsm.verify_mismatch';
  constructor(
    readonly key: string,
    what: 'size' | 'checksum',
    where: 'source' | 'target',
  ) {
    super(`${what} of blob ${key} (${where}) differs from the index`);
  }
}

/**
 * Moves one claimed instance from `source` to `target`, in this order:
 *
 * 1. A `pending` journal row names the new key in the target tier BEFORE any byte is written.
 * 2. Copy source → target, streaming; the SHA-256 and size of what was read must match the index
 *    (a damaged source is never propagated).
 * 3. Verify: re-read the target and compare SHA-256 and size with the index again. An offline
 *    target (Glacier, Archive) cannot be read back — a read would start a restore — so there
 *    the stored size is checked, and the SHA-256 of the bytes streamed into it (step 2) stands.
 * 4. Switch (one transaction): the row points at the new key and tier — only if it still has the
 *    copied key and version, so a concurrent replace or delete wins — the pending row goes, and
 *    the source blob gets a `delete` row due after the delete grace (in-flight reads finish).
 * 5. Delete the source at once when the grace is 0; else the sweeper does when it is due.
 *
 * Crash reasoning: before 4 commits the row still names the source blob, untouched; the target
 * copy has a pending row and the sweeper removes it after the pending grace. After 4 the row
 * names a verified, durable target, and the source is journaled for deletion. So every instance
 * stays readable with its bytes at every point, and no blob is left unaccounted for. Any failure
 * before 4 discards the copy at once and leaves the instance where it was.
 */
export async function moveInstance(
  deps: MoveDeps,
  candidate: MigrationCandidate,
  source: BlobStore,
  target: BlobStore,
  targetOffline = false,
): Promise<MoveOutcome> {
  const newKey = newBlobKey();
  const copy = { blobKey: newKey, storageTier: target.name };
  let step: MoveStep = 'journal';
  let switched = false;
  try {
    await recordPendingBlob(deps.db, copy, deps.pendingGraceSeconds);
    step = 'copy';
    await copyBlob(candidate, source, target, newKey, deps.fault);
    deps.fault?.('hsm-after-copy');
    step = 'verify';
    if (targetOffline) await checkSize(candidate, target, newKey);
    else await checkBlob(candidate, await target.get(newKey), newKey, 'target');
    deps.fault?.('hsm-after-verify');
    step = 'switch';
    const result = await switchTier(deps.db, {
      candidate,
      newKey,
      toTier: target.name,
      deleteGraceSeconds: deps.deleteGraceSeconds,
    });
    if (result.kind !== 'switched') return { kind: 'skipped', reason: result.kind };
    switched = true;
    // Also "before the source delete": nothing happens in between.
    deps.fault?.('hsm-after-switch');
    step = 'source-delete';
    if (deps.deleteGraceSeconds === 0) await deps.sweeper.deleteEntries(result.deletions);
    return { kind: 'moved', bytes: candidate.size };
  } catch (error) {
    if (error instanceof BlobOfflineError && step === 'copy') {
      await requestRestore(source, candidate.blobKey);
      return { kind: 'skipped', reason: 'offline' };
    }
    if (switched) {
      // The move happened; only the immediate source delete failed: the sweeper retries it.
      return { kind: 'moved', bytes: candidate.size };
    }
    return { kind: 'failed', key: candidate.blobKey, step, code: codeOf(error) };
  } finally {
    // Everything but a switched move leaves the copy unreferenced: drop it now (or the sweeper
    // does, from the pending row, if this fails too).
    if (!switched && step !== 'journal') {
      await discard(deps, copy).catch(() => undefined);
    }
  }
}

async function copyBlob(
  candidate: MigrationCandidate,
  source: BlobStore,
  target: BlobStore,
  newKey: string,
  fault?: MoveDeps['fault'],
): Promise<void> {
  const hash = createHashTap('sha256');
  const counter = createByteCounter({ limit: candidate.size });
  const body = await source.get(candidate.blobKey);
  const flowing = fault
    ? pipeline(body, counter.tap, faultAfterFirstChunk(fault), hash.tap)
    : pipeline(body, counter.tap, hash.tap);
  // hash.tap's readable side feeds the target; both settle before the checks.
  const [flowed, put] = await Promise.allSettled([
    flowing,
    target.put(newKey, hash.tap as unknown as Readable, { contentLength: candidate.size }),
  ]);
  // The store's own failure says more than the echo in the other half (premature close), unless
  // the store only saw its body fail: then the source's error is the cause.
  if (put.status === 'rejected' && !isBodyFailure(put.reason)) throw put.reason;
  if (flowed.status === 'rejected') throw flowed.reason;
  if (put.status === 'rejected') throw put.reason;
  if (counter.result() !== candidate.size) {
    throw new MigrationVerifyError(candidate.blobKey, 'size', 'source');
  }
  if (hash.digest() !== candidate.sha256) {
    throw new MigrationVerifyError(candidate.blobKey, 'checksum', 'source');
  }
}

/** Re-hashes a stream and compares size and SHA-256 with the index. */
async function checkBlob(
  candidate: MigrationCandidate,
  body: Readable,
  key: string,
  where: 'source' | 'target',
): Promise<void> {
  const { size, sha256 } = await hashStream(body);
  if (size !== candidate.size) throw new MigrationVerifyError(key, 'size', where);
  if (sha256 !== candidate.sha256) throw new MigrationVerifyError(key, 'checksum', where);
}

/** For offline targets: the stored object has the size the index records. */
async function checkSize(candidate: MigrationCandidate, target: BlobStore, key: string) {
  const stat = await target.stat(key);
  if (stat.size !== candidate.size) throw new MigrationVerifyError(key, 'size', 'target');
}

/** SHA-256 (hex) and size of a whole stream, chunk by chunk (bounded memory). */
export async function hashStream(body: Readable): Promise<{ size: number; sha256: string }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { size, sha256: hash.digest('hex') };
}

async function discard(deps: MoveDeps, blob: { blobKey: string; storageTier: string }) {
  const entries = await scheduleBlobDeletion(deps.db, [blob], 0);
  await deps.sweeper.deleteEntries(entries);
}

async function requestRestore(store: BlobStore, key: string): Promise<void> {
  const restorable = store as Partial<RestorableStore>;
  if (typeof restorable.requestRestore !== 'function') return;
  await restorable.requestRestore(key).catch(() => undefined);
}

/** Test crash point: the target holds part of the copy when the process dies. */
function faultAfterFirstChunk(fault: NonNullable<MoveDeps['fault']>): Transform {
  let seen = false;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      callback(null, chunk);
      if (!seen) setImmediate(() => fault('hsm-during-copy'));
      seen = true;
    },
  });
}

function isBodyFailure(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'storage.body_failed';
}

function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return code;
  return error instanceof Error ? error.name : 'unknown';
}

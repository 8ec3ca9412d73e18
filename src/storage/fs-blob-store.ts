import { constants as fsConstants, type Dirent } from 'node:fs';
import fs, { type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BufferPool } from '../lib/buffer-pool.js';
import { ulid } from '../lib/ulid.js';
import type {
  BlobKey,
  BlobStat,
  BlobStore,
  GetOptions,
  PutOptions,
  PutResult,
} from './blob-store.js';
import {
  BlobExistsError,
  BlobNotFoundError,
  StorageAbortedError,
  StorageUnavailableError,
} from './errors.js';
import { errorCode, fsFailure, fsStep, keyIsPrefix, missing, parentIsBlob } from './fs-errors.js';
import { FileReadStream } from './file-read-stream.js';
import { closeTemp, discardTemp, openTemp, syncDirectory, type TempFile } from './fs-files.js';
import { assertSafePrefix, isSafeKey } from './keys.js';
import { blobPath, directoriesToSync, TEMP_DIR } from './fs-paths.js';
import { abortFailure, bodyFailure, lengthMismatch } from './put-failure.js';
import { resolveRange } from './range.js';

export interface FsBlobStoreOptions {
  /** Directory holding the blobs; created if missing. */
  root: string;
  /**
   * Temp files younger than this are left alone by the sweep at open. 0 (default) sweeps all,
   * right for one process per root; set it above the longest upload when several processes
   * share a root, or one's open would delete another's in-flight writes (those puts then fail).
   */
  tempSweepGraceMs?: number;
  /** The store's name (its tier name in the index); default `fs`. */
  name?: string;
}

/** Large writes keep the disk busy with few syscalls (Node's default is 16 KiB). */
const WRITE_HIGH_WATER_MARK = 1024 * 1024;
/**
 * Reads: 256 KiB buffers, big enough for few syscalls, small enough for many concurrent WADO
 * streams; shared by every fs store of the process. Up to 8 MiB of them stay idle between uses.
 */
const READ_BUFFERS = new BufferPool(256 * 1024, 8 * 1024 * 1024);
const DIR_MODE = 0o750;
/** Bound of the known-directory cache (our keys need 256 entries). */
const MAX_KNOWN_DIRS = 4096;

/**
 * Blobs as files under `root`, one file per key (`root/3f/01jd…`).
 *
 * Write path, and why it is crash-safe:
 * 1. stream the body into `root/.tmp/<ulid>` (same filesystem, opened O_EXCL);
 * 2. fsync the file — its bytes are durable before any name points at them — and await the
 *    caller's `beforeVisible`;
 * 3. `link(tmp, final)` — atomic, and fails with EEXIST instead of overwriting (`rename` would
 *    silently replace an existing blob, breaking "keys are written once"), so no existence
 *    check precedes the write;
 * 4. fsync the final directory (and any directories mkdir created, up to an existing one) so the
 *    new entry survives a crash;
 * 5. unlink the temp name, and resolve. A crash before 3 leaves only a temp file; after 3 the
 *    blob is whole (a crash before 4 completes may lose the new name, never expose a partial
 *    file).
 * Temp files left by a crash are never visible as keys and are swept at the next open.
 */
export class FsBlobStore implements BlobStore {
  readonly name: string;
  readonly #root: string;
  readonly #tempDir: string;
  /** Key directories known to exist, durably (see `#makeParents`). */
  readonly #knownDirs = new Set<string>();
  #closed = false;

  private constructor(root: string, name: string) {
    this.name = name;
    this.#root = root;
    this.#tempDir = path.join(root, TEMP_DIR);
  }

  /** Creates `root` (and its temp directory) if needed and sweeps temp files of interrupted puts. */
  static async open(options: FsBlobStoreOptions): Promise<FsBlobStore> {
    const root = path.resolve(options.root);
    const store = new FsBlobStore(root, options.name ?? 'fs');
    try {
      const created = await fs.mkdir(store.#tempDir, { recursive: true, mode: DIR_MODE });
      for (const dir of directoriesToSync(store.#tempDir, created)) await syncDirectory(dir);
      await store.#sweepTemp(options.tempSweepGraceMs ?? 0);
    } catch (error) {
      throw fsFailure(error, `opening fs blob store`);
    }
    return store;
  }

  async put(key: BlobKey, body: Readable, options: PutOptions = {}): Promise<PutResult> {
    const { signal, contentLength } = options;
    // Which side failed first decides the error: pipeline() destroys the other side with the
    // same error, so the listeners record the origin, and hold errors emitted while we await.
    let firstFailure: { from: 'body' | 'file'; error: unknown } | undefined;
    const onBodyError = (error: unknown) => (firstFailure ??= { from: 'body', error });
    body.on('error', onBodyError);
    let temp: TempFile | undefined;
    try {
      this.#assertOpen();
      const finalPath = blobPath(this.#root, key);
      if (signal?.aborted) throw abortFailure(key, signal);
      // No existence check up front: keys are fresh, and `link` refuses a taken one atomically.
      let created = await this.#makeParents(key, finalPath);

      const tempPath = path.join(this.#tempDir, `${ulid().toLowerCase()}.part`);
      const handle = await openTemp(key, tempPath);
      // autoClose off: the file is fsync'd after the last write and before it is closed.
      const file = handle.createWriteStream({
        autoClose: false,
        highWaterMark: WRITE_HIGH_WATER_MARK,
      });
      temp = { path: tempPath, handle, file };
      file.on('error', (error: NodeJS.ErrnoException) => {
        // Only errors of an fs call are the file's own; pipeline() also destroys the file with
        // the body's error, or with ERR_STREAM_PREMATURE_CLOSE when the body closed early.
        if (typeof error.syscall === 'string') firstFailure ??= { from: 'file', error };
      });
      try {
        await pipeline(body, file, signal ? { signal } : {});
      } catch (error) {
        if (signal?.aborted) throw abortFailure(key, signal);
        const failure = firstFailure ?? { from: 'body', error };
        throw failure.from === 'file'
          ? fsFailure(failure.error, `writing blob ${key}`)
          : bodyFailure(key, failure.error);
      }
      const size = file.bytesWritten;
      if (contentLength !== undefined && contentLength !== size) {
        throw lengthMismatch(key, contentLength, size);
      }
      await fsStep(`syncing blob ${key}`, () => handle.sync());
      temp.handle = undefined;
      await fsStep(`closing blob ${key}`, () => closeTemp(handle, file));
      await options.beforeVisible?.();
      // Last point where an abort can still leave nothing behind; after the link it is stored.
      if (signal?.aborted) throw abortFailure(key, signal);

      if (!(await this.#linkIntoPlace(key, tempPath, finalPath))) {
        // The key's directory was removed since we made it: make it again, once.
        this.#knownDirs.delete(path.dirname(finalPath));
        created = (await this.#makeParents(key, finalPath)) ?? created;
        await this.#linkIntoPlace(key, tempPath, finalPath, true);
      }
      for (const dir of directoriesToSync(finalPath, created)) {
        await fsStep(`syncing directory of blob ${key}`, () => syncDirectory(dir));
      }
      // Only now is the directory's own entry durable too: later puts into it skip the mkdir.
      this.#rememberDir(path.dirname(finalPath));
      return { key, size };
    } catch (error) {
      body.destroy();
      throw error;
    } finally {
      body.off('error', onBodyError);
      if (temp) await discardTemp(temp);
    }
  }

  async get(key: BlobKey, options: GetOptions = {}): Promise<Readable> {
    const { signal, range } = options;
    this.#assertOpen();
    const finalPath = blobPath(this.#root, key);
    if (signal?.aborted) throw new StorageAbortedError(key, { cause: signal.reason });
    // Open first and stat the handle: the bytes we stream are those of the file we checked,
    // even if the key is deleted in between.
    let handle: FileHandle;
    try {
      handle = await fs.open(finalPath, fsConstants.O_RDONLY);
    } catch (error) {
      throw missing(error) ? new BlobNotFoundError(key) : fsFailure(error, `opening blob ${key}`);
    }
    let stream: Readable;
    try {
      const stats = await fsStep(`reading blob ${key}`, () => handle.stat());
      if (!stats.isFile()) throw new BlobNotFoundError(key);
      const bounds = resolveRange(key, stats.size, range);
      stream = new FileReadStream(
        handle,
        {
          start: bounds?.start ?? 0,
          end: (bounds?.end ?? stats.size - 1) + 1,
          what: `blob ${key}`,
        },
        READ_BUFFERS,
      );
    } catch (error) {
      await handle.close().catch(() => undefined);
      throw error;
    }
    if (signal) {
      const onAbort = () => stream.destroy(new StorageAbortedError(key, { cause: signal.reason }));
      signal.addEventListener('abort', onAbort, { once: true });
      stream.once('close', () => signal.removeEventListener('abort', onAbort));
    }
    return stream;
  }

  async stat(key: BlobKey): Promise<BlobStat> {
    this.#assertOpen();
    const finalPath = blobPath(this.#root, key);
    try {
      const stats = await fs.stat(finalPath);
      if (!stats.isFile()) throw new BlobNotFoundError(key);
      return { key, size: stats.size, modifiedAt: stats.mtime };
    } catch (error) {
      if (error instanceof BlobNotFoundError) throw error;
      throw missing(error) ? new BlobNotFoundError(key) : fsFailure(error, `stat of blob ${key}`);
    }
  }

  async exists(key: BlobKey): Promise<boolean> {
    this.#assertOpen();
    const finalPath = blobPath(this.#root, key);
    try {
      return (await fs.stat(finalPath)).isFile();
    } catch (error) {
      if (missing(error)) return false;
      throw fsFailure(error, `stat of blob ${key}`);
    }
  }

  async delete(key: BlobKey): Promise<void> {
    this.#assertOpen();
    const finalPath = blobPath(this.#root, key);
    try {
      await fs.unlink(finalPath);
    } catch (error) {
      // Missing, or a directory (a prefix of other keys, not a blob): nothing to delete.
      if (missing(error) || errorCode(error) === 'EISDIR') return;
      throw fsFailure(error, `deleting blob ${key}`);
    }
    // Durable deletes: a sweeper that deleted a blob and then its index row must not see the blob
    // come back after a crash. Empty prefix directories are kept (at most 256 for our keys).
    await fsStep(`syncing directory of blob ${key}`, () => syncDirectory(path.dirname(finalPath)));
  }

  async *list(prefix = ''): AsyncIterable<BlobKey> {
    this.#assertOpen();
    assertSafePrefix(prefix);
    const slash = prefix.lastIndexOf('/');
    const start = slash >= 0 ? prefix.slice(0, slash) : '';
    yield* this.#walk(start, prefix);
  }

  /**
   * The store can take writes: its temp directory (inside `root`, where every put starts) is
   * still a writable directory. Catches a volume unmounted or replaced under a running server,
   * which per-key reads would report only as missing blobs.
   */
  async probe(): Promise<void> {
    this.#assertOpen();
    const stats = await fsStep('probe of the blob root', () => fs.stat(this.#tempDir));
    if (!stats.isDirectory()) {
      throw new StorageUnavailableError('probe of the blob root: not a directory');
    }
    await fsStep('probe of the blob root', () => fs.access(this.#tempDir, fsConstants.W_OK));
  }

  close(): Promise<void> {
    this.#closed = true;
    return Promise.resolve();
  }

  /** Depth-first walk of `dir` (relative, '' = root), streaming entries via opendir. */
  async *#walk(dir: string, prefix: string): AsyncGenerator<BlobKey> {
    if (dir === TEMP_DIR || dir.startsWith(`${TEMP_DIR}/`)) return; // in-flight writes
    let entries: AsyncIterable<Dirent>;
    try {
      entries = await fs.opendir(path.join(this.#root, dir));
    } catch (error) {
      if (missing(error)) return; // no such prefix, or deleted while we walked
      throw fsFailure(error, `listing blobs`);
    }
    for await (const entry of entries) {
      const relative = dir === '' ? entry.name : `${dir}/${entry.name}`;
      const kind = await this.#kindOf(entry, relative);
      if (kind === 'directory') {
        const asPrefix = `${relative}/`;
        if (asPrefix.startsWith(prefix) || prefix.startsWith(asPrefix)) {
          yield* this.#walk(relative, prefix);
        }
      } else if (kind === 'file' && relative.startsWith(prefix) && isSafeKey(relative)) {
        yield relative;
      }
    }
  }

  /** Symlinks and other special files are never keys; DT_UNKNOWN entries are lstat'ed. */
  async #kindOf(entry: Dirent, relative: string): Promise<'file' | 'directory' | 'other'> {
    if (entry.isFile()) return 'file';
    if (entry.isDirectory()) return 'directory';
    if (entry.isSymbolicLink()) return 'other';
    try {
      const stats = await fs.lstat(path.join(this.#root, relative));
      return stats.isFile() ? 'file' : stats.isDirectory() ? 'directory' : 'other';
    } catch {
      return 'other';
    }
  }

  /**
   * mkdir -p of the key's directory; returns the first directory created, if any. Skipped for a
   * directory a successful put already used (and synced): with hash-prefixed keys that is all
   * but the first put into each of the 256 prefixes.
   */
  async #makeParents(key: BlobKey, finalPath: string): Promise<string | undefined> {
    const dir = path.dirname(finalPath);
    if (this.#knownDirs.has(dir)) return undefined;
    try {
      return await fs.mkdir(dir, { recursive: true, mode: DIR_MODE });
    } catch (error) {
      const code = errorCode(error);
      // A segment of the key's directory is already a blob file.
      if (code === 'ENOTDIR' || code === 'EEXIST') throw parentIsBlob(key);
      throw fsFailure(error, `creating directory of blob ${key}`);
    }
  }

  /** `link(tmp, final)`; false when the key's directory is missing (and `missingDirFails` is off). */
  async #linkIntoPlace(
    key: BlobKey,
    tempPath: string,
    finalPath: string,
    missingDirFails = false,
  ): Promise<boolean> {
    try {
      await fs.link(tempPath, finalPath);
      return true;
    } catch (error) {
      const code = errorCode(error);
      if (code === 'ENOENT' && !missingDirFails) return false;
      if (code === 'EEXIST') {
        const stats = await fs.lstat(finalPath).catch(() => undefined);
        throw stats?.isDirectory() ? keyIsPrefix(key) : new BlobExistsError(key);
      }
      if (code === 'ENOTDIR') throw parentIsBlob(key);
      throw fsFailure(error, `linking blob ${key}`);
    }
  }

  #rememberDir(dir: string): void {
    // Bounded: our keys use 256 prefixes; foreign key shapes must not grow it without limit.
    if (this.#knownDirs.size >= MAX_KNOWN_DIRS) this.#knownDirs.clear();
    this.#knownDirs.add(dir);
  }

  async #sweepTemp(graceMs: number): Promise<void> {
    const cutoff = Date.now() - graceMs;
    for (const name of await fs.readdir(this.#tempDir)) {
      const entry = path.join(this.#tempDir, name);
      if (graceMs > 0) {
        const stats = await fs.lstat(entry).catch(() => undefined);
        if (!stats || stats.mtimeMs > cutoff) continue;
      }
      await fs.rm(entry, { force: true, recursive: true });
    }
  }

  #assertOpen(): void {
    if (this.#closed) throw new StorageUnavailableError('fs blob store is closed');
  }
}

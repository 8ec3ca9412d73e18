import { statfsSync } from 'node:fs';
import { ConfigError } from '../config/errors.js';
import { IndexAbortedError, IndexDiskFullError, isWasmTrap } from '../index/errors.js';
import { DirectoryLockedError } from '../lib/dir-lock.js';
import { createLogger, type Logger } from '../lib/log.js';

/** The message of the line that stops a server whose index disk is full (also the watchdog's). */
export const INDEX_DISK_FULL_MESSAGE =
  'the index database cannot run: the disk of its data directory is full';

/** Fatal lines are written whatever LOG_LEVEL says: a process that stops must say why. */
export function fatalLog(): Logger {
  return createLogger('debug');
}

/**
 * Writes the one JSON line that says why the process stops, and returns its exit code: 2 for
 * the operator's configuration or a data directory held by another process, 1 for anything
 * else. Configuration messages name a variable and the value that was set (settings, never
 * request data); a full index disk names its directory; an index that never came up names the
 * setting that bounds the wait; any other error is reduced to class, code and frames.
 */
export function logFatal(log: Logger, error: unknown, label = 'fatal'): number {
  if (error instanceof ConfigError) {
    log.error('configuration error', {
      code: error.code,
      variable: error.variable,
      detail: error.message,
    });
    return 2;
  }
  if (error instanceof DirectoryLockedError) {
    // Names the holder (pid, host, command) and the directory: server facts, never data.
    log.error('data directory in use', { code: error.code, detail: error.message });
    return 2;
  }
  const fields = error as { code?: unknown; dataDir?: unknown } | null;
  if (fields?.code === 'index.disk_full' && typeof fields.dataDir === 'string') {
    log.error(INDEX_DISK_FULL_MESSAGE, {
      code: fields.code,
      dataDir: fields.dataDir,
      error,
    });
    return 1;
  }
  if (fields?.code === 'index.unavailable') {
    // Start-up gave up waiting (index/wait-for-index.ts); the cause's code says why.
    log.error(
      'the index database could not be reached; DATABASE_CONNECT_RETRY_SECONDS sets how long start-up waits for it',
      { code: fields.code, error },
    );
    return 1;
  }
  log.error(label, { error });
  return 1;
}

/** The embedded index's data directory and the free space below which it counts as full. */
export interface IndexDisk {
  dataDir: string;
  minFreeBytes: number;
}

/**
 * An abort of PGlite's WebAssembly (Emscripten's `abort()` throws a `WebAssembly.RuntimeError`
 * whose message is "Aborted()") says nothing of its cause; when it escapes while the index's
 * filesystem is full, the cause is the disk, and the operator is told so (the directory to free)
 * instead of "Aborted()". Any other error, or an abort with room on the disk, is returned as is.
 */
export function explainIndexAbort(
  error: unknown,
  disk: IndexDisk | undefined,
  freeBytes: (dir: string) => number = freeBytesOf,
): unknown {
  if (disk === undefined || !isWasmAbort(error)) return error;
  let free: number;
  try {
    free = freeBytes(disk.dataDir);
  } catch {
    return error;
  }
  return free < disk.minFreeBytes ? new IndexDiskFullError(disk.dataDir, { cause: error }) : error;
}

/** The trap itself, or our IndexAbortedError around it. */
function isWasmAbort(error: unknown): boolean {
  return isWasmTrap(error instanceof IndexAbortedError ? error.cause : error);
}

function freeBytesOf(dir: string): number {
  const stats = statfsSync(dir);
  return stats.bavail * stats.bsize;
}

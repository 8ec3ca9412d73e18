import path from 'node:path';
import type { BlobKey } from './blob-store.js';
import { InvalidBlobKeyError } from './errors.js';
import { assertSafeKey } from './keys.js';

/** Directory under the root for in-flight writes; never a key's first segment. */
export const TEMP_DIR = '.tmp';

/**
 * The absolute path of `key` under `root`. Validates the key, refuses the temp directory, and
 * checks the resolved path stays inside `root` — defence in depth, as dcm4chee's
 * FileSystemStorage does: `assertSafeKey` already rules out every escaping key.
 */
export function blobPath(root: string, key: BlobKey): string {
  assertSafeKey(key);
  if (key === TEMP_DIR || key.startsWith(`${TEMP_DIR}/`)) {
    throw new InvalidBlobKeyError(`first segment ${TEMP_DIR} is reserved by the fs store`);
  }
  const target = path.resolve(root, ...key.split('/'));
  assertInsideRoot(root, target);
  return target;
}

/** Throws `InvalidBlobKeyError` unless `target` is strictly below `root` (lexically). */
export function assertInsideRoot(root: string, target: string): void {
  const relative = path.relative(path.resolve(root), path.resolve(target));
  if (
    relative === '' ||
    relative === '..' ||
    relative.startsWith(`..${path.sep}`) ||
    path.isAbsolute(relative)
  ) {
    throw new InvalidBlobKeyError('resolves outside the store root');
  }
}

/**
 * Directories to fsync after `final` was linked into place: its own directory, and — when
 * `mkdir` created directories (`created` is the first, outermost one) — every directory up to
 * and including the parent of `created`, so the new entries are durable too.
 */
export function directoriesToSync(finalPath: string, created: string | undefined): string[] {
  const dirs = [path.dirname(finalPath)];
  if (created === undefined) return dirs;
  const stop = path.dirname(path.resolve(created));
  let dir = dirs[0]!;
  while (dir !== stop) {
    const parent = path.dirname(dir);
    if (parent === dir) break; // reached the filesystem root: `created` was not an ancestor
    dirs.push(parent);
    dir = parent;
  }
  return dirs;
}

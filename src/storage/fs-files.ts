import { constants as fsConstants, type WriteStream } from 'node:fs';
import fs, { type FileHandle } from 'node:fs/promises';
import type { BlobKey } from './blob-store.js';
import { fsStep } from './fs-errors.js';

const FILE_MODE = 0o640;

/** Creates the temp file of one put: O_EXCL so two puts never share one, O_NOFOLLOW. */
export async function openTemp(key: BlobKey, tempPath: string): Promise<FileHandle> {
  return fsStep(`creating temp file for blob ${key}`, () =>
    fs.open(
      tempPath,
      fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_NOFOLLOW,
      FILE_MODE,
    ),
  );
}

export interface TempFile {
  path: string;
  /** Set until the handle has been closed on the success path. */
  handle: FileHandle | undefined;
  file: WriteStream;
}

/**
 * A FileHandle's close() waits for every stream made from it to be destroyed, and with
 * autoClose off nothing else destroys the write stream.
 */
export async function closeTemp(handle: FileHandle, file: WriteStream): Promise<void> {
  file.destroy();
  await handle.close();
}

/** Best effort: the temp name is unlinked on every path out of `put`; the sweep catches the rest. */
export async function discardTemp(temp: TempFile): Promise<void> {
  if (temp.handle) await closeTemp(temp.handle, temp.file).catch(() => undefined);
  await fs.unlink(temp.path).catch(() => undefined);
}

/** fsync of a directory makes the entries created or removed in it durable. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await fs.open(dir, fsConstants.O_RDONLY | fsConstants.O_DIRECTORY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

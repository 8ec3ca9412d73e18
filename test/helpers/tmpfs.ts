import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Tmpfs {
  path: string;
  unmount(): Promise<void>;
}

/**
 * A real small filesystem (`mount -t tmpfs -o size=…`): the only honest full disk. Needs root
 * (or CAP_SYS_ADMIN); where mounting is refused, prints why and returns undefined so the caller
 * skips its tests. `at` mounts it on that folder (created if missing) instead of a fresh one, so
 * that only part of a data directory sits on the small disk.
 */
export async function mountTmpfs(size: string, at?: string): Promise<Tmpfs | undefined> {
  const path = at ?? (await mkdtemp(join(tmpdir(), 'strata-tmpfs-')));
  if (at) await mkdir(at, { recursive: true });
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', path], { stdio: 'pipe' });
  } catch (error) {
    await rm(path, { recursive: true, force: true });
    const why = (error as { stderr?: Buffer }).stderr?.toString().trim() || String(error);
    console.warn(`[strata] cannot mount a tmpfs here (${why}): full-disk tests skipped`);
    return undefined;
  }
  return {
    path,
    unmount: async () => {
      execFileSync('umount', [path], { stdio: 'pipe' });
      await rm(path, { recursive: true, force: true });
    },
  };
}

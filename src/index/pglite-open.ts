import { existsSync } from 'node:fs';
import { mkdir, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { IndexDiskFullError } from './errors.js';

/** Emscripten's errno for ENOSPC (its own numbering, not Linux's 28): PGlite's initdb raises it. */
const EMSCRIPTEN_ENOSPC = 51;
/** PostgreSQL reports a failed write with strerror(ENOSPC) (e.g. "could not write lock file"). */
const NO_SPACE_TEXT = /No space left on device/;
/**
 * Below this much free space PostgreSQL cannot start or write WAL (a segment is 16 MiB, and
 * an abort in WASM says no more than "Aborted()"), so a failure is put down to a full disk.
 */
export const MIN_FREE_BYTES = 1024 * 1024;

/**
 * Opens PGlite in `dataDir` (created if missing), turning a start-up failure caused by a full disk into
 * IndexDiskFullError (which names the directory) instead of PGlite's "PGlite failed to
 * initialize properly", an ErrnoError or a bare "Aborted()". PostgreSQL's own stderr is only
 * scanned for the ENOSPC text, never passed on: its lines can quote statements and values.
 */
export async function openPglite(dataDir: string): Promise<PGlite> {
  try {
    await mkdir(dataDir, { recursive: true });
  } catch (error) {
    if (isNoSpace(error)) throw new IndexDiskFullError(dataDir, { cause: error });
    throw error;
  }
  // A new directory is initialised (initdb) on first open, which grows PGlite's WebAssembly
  // memory to ~800 MB; that memory is never returned while the instance lives. Closing and
  // reopening once after initdb brings the embedded server back to its steady size.
  const fresh = !existsSync(join(dataDir, 'PG_VERSION'));
  const client = await start(dataDir);
  if (!fresh) return client;
  await client.close();
  return start(dataDir);
}

/**
 * PostgreSQL's default 128 MB of shared buffers is most of PGlite's resident memory; 32 MB
 * keeps an embedded index's hot pages (the patient, study and series tables and their
 * indexes) while the operating system's page cache holds the rest of the files.
 */
const PGLITE_CONF = ['shared_buffers=32MB'];

async function start(dataDir: string): Promise<PGlite> {
  let sawNoSpace = false;
  const client = new PGlite(dataDir, {
    postgresqlconf: PGLITE_CONF,
    onStderr: (text) => {
      if (NO_SPACE_TEXT.test(text)) sawNoSpace = true;
      return false;
    },
  });
  try {
    await client.waitReady;
  } catch (error) {
    if (sawNoSpace || (await isDiskFull(error, dataDir))) {
      throw new IndexDiskFullError(dataDir, { cause: error });
    }
    throw error;
  }
  return client;
}

/** Node's error for a write refused for want of space (or of quota). */
export function isNoSpace(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}

async function isDiskFull(error: unknown, dataDir: string): Promise<boolean> {
  if ((error as { errno?: unknown } | null)?.errno === EMSCRIPTEN_ENOSPC) return true;
  try {
    const stats = await statfs(dataDir);
    return stats.bavail * stats.bsize < MIN_FREE_BYTES;
  } catch {
    return false;
  }
}

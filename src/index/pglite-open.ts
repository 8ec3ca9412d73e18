import { existsSync } from 'node:fs';
import { mkdir, statfs } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
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
  // memory to ~800 MB; that memory is never returned while the instance lives, and a closed
  // instance's memory only when the garbage collector gets round to it (an idle server: never).
  // Nor does a worker thread's go back to the system when it ends. So initdb runs in a child
  // process, whose memory goes with it; should that fail, here, closed
  // and reopened once, as before (the failure is then met, and reported, in this thread).
  if (!existsSync(join(dataDir, 'PG_VERSION')) && !(await initInChild(dataDir))) {
    const client = await start(dataDir);
    await client.close();
  }
  return start(dataDir);
}

/** Opens and closes PGlite on `dataDir` in a child process; false if that did not succeed. */
async function initInChild(dataDir: string): Promise<boolean> {
  const source = `
    const [pglite, dataDir, conf] = JSON.parse(process.argv[1]);
    import(pglite)
      .then(async ({ PGlite }) => {
        const client = new PGlite(dataDir, { postgresqlconf: conf });
        await client.waitReady;
        await client.close();
      })
      .catch(() => process.exit(1));`;
  const args = [import.meta.resolve('@electric-sql/pglite'), dataDir, PGLITE_CONF];
  // Plain JavaScript: the child needs none of this process's flags (spawn passes none).
  const child = spawn(process.execPath, ['-e', source, JSON.stringify(args)], { stdio: 'ignore' });
  const [code] = (await once(child, 'exit').catch(() => [1])) as [number | null];
  return code === 0 && existsSync(join(dataDir, 'PG_VERSION'));
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

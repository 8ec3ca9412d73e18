import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { ProjectError } from './errors.js';

/**
 * An exclusive lock on a directory only one process may open (the embedded PGlite index: two
 * PGlite instances on one directory each keep their own view and overwrite each other's pages,
 * and `verify --remove-orphans` beside a server sees a stale index and deletes live blobs).
 *
 * Node has no flock, so the lock is a file `<dir>.lock` created atomically with its content:
 * written to a unique temp name, then `link`ed to the lock name, which fails with EEXIST when
 * another process holds it (no reader ever sees an empty lock file). It names its holder (pid,
 * host, command, start time) so the refusal can say who. A holder killed with SIGKILL leaves the
 * file behind; it is stale when, on the same host, its pid is gone or now belongs to a process
 * started at another time (pid reuse, e.g. pid 1 again after a container restart), and is then
 * taken over (see `removeStale`). A holder on another host (a shared network volume) cannot be
 * checked from here: the lock is refused and the message says which file to remove.
 */
export interface LockHolder {
  pid: number;
  host: string;
  /** What the holder runs (`strata serve`), for the message. */
  command: string;
  /** ISO time the lock was taken. */
  since: string;
  /** Process start time from /proc (clock ticks since boot), when the platform has it. */
  procStart?: string | undefined;
  /** Unique per lock taken: tells this lock from a later one of the same process. */
  nonce: string;
}

export class DirectoryLockedError extends ProjectError {
  override readonly name = 'DirectoryLockedError';
  readonly code = 'lib.directory_locked';
  constructor(
    readonly lockPath: string,
    readonly holder: LockHolder,
    sameHost: boolean,
  ) {
    super(
      `${path.dirname(lockPath)} is in use by another process: pid ${holder.pid} on ${holder.host}` +
        ` ("${holder.command}", since ${holder.since}). Stop it first; several processes need` +
        ` DATABASE_URL (PostgreSQL).` +
        (sameHost ? '' : ` If that host is gone, remove ${lockPath}.`),
    );
  }
}

export interface DirLock {
  readonly path: string;
  /** Removes the lock file if it is still this lock's. Idempotent. */
  release(): Promise<void>;
}

/** Nonces of the locks this process holds: its own lock file names a live holder. */
const heldHere = new Set<string>();

/** Takes the lock `<dir>.lock`; throws DirectoryLockedError naming the holder when taken. */
export async function lockDirectory(dir: string, command: string): Promise<DirLock> {
  const lockPath = `${path.resolve(dir)}.lock`;
  await fs.mkdir(path.dirname(lockPath), { recursive: true });
  const mine: LockHolder = {
    pid: process.pid,
    host: hostname(),
    command,
    since: new Date().toISOString(),
    procStart: procStartOf(process.pid),
    nonce: randomUUID(),
  };
  const temp = `${lockPath}.${mine.nonce}.tmp`;
  await fs.writeFile(temp, JSON.stringify(mine), { flag: 'wx' });
  try {
    // Bounded: each round either takes the lock, refuses, or removed one stale lock.
    for (let round = 0; round < 5; round++) {
      if (await tryLink(temp, lockPath)) {
        return lockHandle(lockPath, mine.nonce);
      }
      const holder = await readHolder(lockPath);
      if (holder === undefined) continue; // released meanwhile
      if (isAlive(holder))
        throw new DirectoryLockedError(lockPath, holder, holder.host === mine.host);
      await removeStale(lockPath, holder);
    }
    throw new Error(`could not take ${lockPath}: it keeps changing hands`);
  } finally {
    await fs.rm(temp, { force: true });
  }
}

async function tryLink(from: string, to: string): Promise<boolean> {
  try {
    await fs.link(from, to);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

/** The holder named in a lock file, or undefined when there is none. */
async function readHolder(file: string): Promise<LockHolder | undefined> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    return JSON.parse(text) as LockHolder;
  } catch {
    // It is linked only once written whole, so unreadable content is what a power cut leaves
    // (the name survived, the bytes did not): a dead holder, pid 0, never blocking a start.
    return { pid: 0, host: hostname(), command: 'unreadable', since: '?', nonce: text };
  }
}

function isAlive(holder: LockHolder): boolean {
  if (holder.host !== hostname()) return true; // cannot tell: assume it runs
  if (holder.pid === process.pid) {
    // Our pid: this very process (a second open here, refused like any other) or an earlier
    // incarnation that had our pid (container restart), certainly dead.
    return heldHere.has(holder.nonce);
  }
  if (!Number.isInteger(holder.pid) || holder.pid <= 0) return false;
  try {
    process.kill(holder.pid, 0);
  } catch (error) {
    // EPERM: the pid exists under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  const start = procStartOf(holder.pid);
  return start === undefined || holder.procStart === undefined || start === holder.procStart;
}

/**
 * Removes exactly the stale lock that was read, not a fresh one another process took over in
 * the meantime: the file is renamed away (atomic), and if what moved is not the stale holder's,
 * it is linked back. Two processes finding the same stale lock thus never both take it.
 */
async function removeStale(lockPath: string, stale: LockHolder): Promise<void> {
  const aside = `${lockPath}.${randomUUID()}.stale`;
  try {
    await fs.rename(lockPath, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  try {
    const moved = await readHolder(aside);
    if (moved !== undefined && moved.nonce !== stale.nonce) await tryLink(aside, lockPath);
  } finally {
    await fs.rm(aside, { force: true });
  }
}

function lockHandle(lockPath: string, nonce: string): DirLock {
  heldHere.add(nonce);
  let released = false;
  return {
    path: lockPath,
    release: async () => {
      if (released) return;
      released = true;
      heldHere.delete(nonce);
      const holder = await readHolder(lockPath);
      if (holder?.nonce === nonce) await fs.rm(lockPath, { force: true });
    },
  };
}

/** Field 22 of /proc/<pid>/stat (start time in ticks since boot); undefined off Linux. */
function procStartOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

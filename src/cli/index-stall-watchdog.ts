import { Worker } from 'node:worker_threads';

export interface IndexStallWatchdogOptions {
  /** The PGlite data directory; its filesystem's free space is what the watchdog checks. */
  dataDir: string;
  /** Below this many free bytes a stall is put down to a full disk. */
  minFreeBytes: number;
  /** How long the event loop may stay blocked before the process is stopped. */
  stallMs: number;
  /** The message of the line written before the process is stopped. */
  message: string;
}

/** How often the main thread proves it is alive, and how often the watchdog looks. */
const BEAT_MS = 1000;

/**
 * The watchdog itself, run as a worker from source text: a file would need the TypeScript
 * loader, which a worker started under `bin/strata.js` (tsx's `register()`) does not inherit.
 * It writes with `writeSync(2)` because a worker's `process.stderr` is relayed through the main
 * thread, which is the one that is stuck; it stops the process with SIGKILL because the main
 * thread cannot run a signal handler or `process.exit` any more.
 */
const WATCHDOG_SOURCE = `
const { workerData } = require('node:worker_threads');
const { statfsSync, writeSync } = require('node:fs');
const { beat, dataDir, minFreeBytes, stallMs, message, beatMs } = workerData;
const beats = new Int32Array(beat);
let seen = Atomics.load(beats, 0);
let seenAt = performance.now();
setInterval(() => {
  const now = performance.now();
  const current = Atomics.load(beats, 0);
  if (current !== seen) {
    seen = current;
    seenAt = now;
    return;
  }
  const stalledMs = Math.round(now - seenAt);
  if (stalledMs < stallMs) return;
  let free;
  try {
    const stats = statfsSync(dataDir);
    free = stats.bavail * stats.bsize;
  } catch {
    return;
  }
  if (free >= minFreeBytes) return;
  const line = { time: new Date().toISOString(), level: 'error', msg: message,
    code: 'index.disk_full', dataDir, stalledMs, freeBytes: free };
  writeSync(2, JSON.stringify(line) + '\\n');
  process.kill(process.pid, 'SIGKILL');
}, beatMs);
`;

/**
 * Stops a `strata serve` whose embedded PGlite index is wedged on a full disk. Measured on a
 * real tmpfs (test/pglite-disk-full.test.ts): once a CHECKPOINT has failed with ENOSPC (PGlite
 * runs one itself when its WAL grows past max_wal_size), the next statement spins inside
 * PGlite's WASM and never returns; freeing space did not release it within 30 s. The spin
 * holds the event loop, so no timer, request or signal handler of the main thread runs again:
 * only another thread can see it. The main thread counts a beat every second in shared
 * memory; a worker that sees no beat for `stallMs` while the data directory's filesystem has
 * less than `minFreeBytes` free writes one JSON line (`index.disk_full`, the directory) and
 * kills the process, so that an orchestrator restarts it once space is freed (exit status
 * 137). A stall with room on the disk is left alone: that is not this failure, and killing
 * would hide it. Returns a stop function (after a clean shutdown).
 */
export function startIndexStallWatchdog(options: IndexStallWatchdogOptions): () => Promise<void> {
  const beat = new SharedArrayBuffer(4);
  const beats = new Int32Array(beat);
  // A counter, not a time: the worker measures the silence with its own monotonic clock, so
  // a wall-clock jump cannot look like a stall.
  const timer = setInterval(() => Atomics.add(beats, 0, 1), BEAT_MS);
  timer.unref();
  const worker = new Worker(WATCHDOG_SOURCE, {
    eval: true,
    workerData: { ...options, beat, beatMs: BEAT_MS },
  });
  worker.unref();
  return async () => {
    clearInterval(timer);
    await worker.terminate();
  };
}

import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface ChildServer {
  process: ChildProcess;
  base: string;
  /** Every log line the server printed so far. */
  lines: string[];
  /** Resolves with the exit signal/code when the process ends. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop(): Promise<void>;
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<string>;
}

/**
 * The process entry: the production one, or a test entry (the crash tests' one when a crash
 * point is set, the aborting-index one when an abort marker is named).
 */
export function entryFor(env: Record<string, string>): string {
  if (env['STRATA_TEST_CRASH_AT']) return 'test/helpers/crash-entry.ts';
  if (env['STRATA_TEST_ABORT_MARKER']) return 'test/helpers/pglite-abort-entry.ts';
  return 'src/main.ts';
}

/**
 * Runs `strata serve` in a child process (so a test can kill it), resolves once it listens
 * (within `startTimeoutMs`: a fresh PGlite index takes a while on a busy machine). `onLine` sees
 * each log line as it comes, before the server listens (start-up tests act on them).
 */
export async function startChildServer(
  env: Record<string, string>,
  {
    startTimeoutMs = 30_000,
    onLine,
    entry = ['--import', 'tsx', entryFor(env)],
  }: {
    startTimeoutMs?: number;
    onLine?: (line: string) => void;
    /** Node's arguments before `serve`: the TypeScript entry through tsx unless given. */
    entry?: string[];
  } = {},
): Promise<ChildServer> {
  const child = spawn(process.execPath, [...entry, 'serve'], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'info', PORT: '0', HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  let pending = '';
  const onData = (chunk: Buffer) => {
    pending += chunk.toString('utf8');
    const parts = pending.split('\n');
    pending = parts.pop()!;
    const fresh = parts.filter((l) => l.trim() !== '');
    lines.push(...fresh);
    if (onLine) fresh.forEach(onLine);
    for (const wake of waiters) wake();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      for (const wake of waiters) wake();
      resolve({ code, signal });
    }),
  );

  const waitForLog = (pattern: RegExp, timeoutMs = 30_000) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const line = lines.find((l) => pattern.test(l));
        if (line !== undefined) {
          done();
          resolve(line);
        } else if (child.exitCode !== null || child.signalCode !== null) {
          done();
          reject(new Error(`server exited before logging ${pattern}:\n${lines.join('\n')}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no log line ${pattern} within ${timeoutMs} ms:\n${lines.join('\n')}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      check();
    });

  // A server that never got to listen must not outlive the test: it would hold DATA_DIR's lock.
  // Start-up (tsx, PGlite, migrations) takes seconds, but over a minute on a loaded machine.
  const listening = await waitForLog(/"msg":"listening"/, Math.max(startTimeoutMs, 120_000)).catch(
    async (error: unknown) => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
      throw error;
    },
  );
  const { dicomweb } = JSON.parse(listening) as { dicomweb: string };
  return {
    process: child,
    base: dicomweb,
    lines,
    exited,
    waitForLog,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

export interface StrataRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  /** stderr split into lines, empty ones dropped. */
  lines: string[];
}

/**
 * Runs `strata <args>` to its end (for commands that should stop on their own, such as a
 * `serve` that cannot start); kills it after `timeoutMs` so a test never hangs.
 */
export function runStrata(
  args: string[],
  env: Record<string, string>,
  { timeoutMs = 60_000, nodeOptions }: { timeoutMs?: number; nodeOptions?: string } = {},
): Promise<StrataRun> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', ...args], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: '0',
      HOST: '127.0.0.1',
      ...env,
      ...(nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve) =>
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, lines: stderr.split('\n').filter((l) => l.trim() !== '') });
    }),
  );
}

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer, connect } from 'node:net';
import { runStrata } from './child-server.js';

/** DIMSE peers the tests run against: dcmtk tools and Orthanc, as installed from Debian. */

/** Whether `tool` is on PATH (or an absolute path that exists and runs). */
export function hasTool(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).status === 0;
}

/** Prints why a suite skips, so a missing tool is visible in the run, not silent. */
export function requireTools(...tools: string[]): boolean {
  const missing = tools.filter((t) => !hasTool(t));
  if (missing.length > 0)
    console.warn(`skipping DIMSE peer tests: ${missing.join(', ')} not installed`);
  return missing.length === 0;
}

/** A port free at the time of asking. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Resolves once something accepts TCP connections on the port. */
export async function waitForPort(port: number, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on port ${port}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface Peer {
  process: ChildProcess;
  output: () => string;
  stop(): Promise<void>;
}

/** Starts a peer process and collects its output (for failure messages). */
export function startPeer(command: string, args: string[]): Peer {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  return {
    process: child,
    output: () => output,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** `strata <args>` as a child process, the way an operator runs it (child-server.ts). */
export async function strataCli(
  args: string[],
  env: Record<string, string>,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const run = await runStrata(args, env, { timeoutMs: 120_000 });
  return { status: run.code, stdout: run.stdout, stderr: run.lines.join('\n') };
}

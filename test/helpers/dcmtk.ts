import { execFile, spawnSync } from 'node:child_process';

/**
 * dcmtk's command-line peers (echoscu, storescu, findscu, …), installed from Debian
 * (`apt-get install dcmtk`, see .ci/run). Without them the DIMSE peer suites skip, said once per
 * run by global-setup.ts.
 */
export const dcmtkAvailable = spawnSync('echoscu', ['--version'], { stdio: 'ignore' }).status === 0;

export interface ToolResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a dcmtk tool to its end (with a deadline) and returns its exit code and output. */
export function dcmtk(tool: string, args: string[], timeoutMs = 60_000): Promise<ToolResult> {
  return new Promise((resolve) => {
    execFile(
      tool,
      args,
      { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** `-aet`/`-aec` and host/port for a peer calling Strata's DIMSE port. */
export function peerArgs(port: number, calling = 'TESTSCU', called = 'STRATA'): string[] {
  return ['-aet', calling, '-aec', called, '127.0.0.1', String(port)];
}

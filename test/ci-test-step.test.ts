import { spawnSync } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

/**
 * .ci/test, the test step of .ci/run, with an `npm` stand-in first on PATH that writes the
 * vitest JSON report we give it and exits as vitest would.
 */
const SCRIPT = fileURLToPath(new URL('../.ci/test', import.meta.url));
let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function runWith(report: object | undefined, exitCode: number) {
  dir = await mkdtemp(join(tmpdir(), 'strata-ci-'));
  const fake = join(dir, 'npm');
  const write = report
    ? `for a in "$@"; do case "$a" in --outputFile.json=*) printf '%s' '${JSON.stringify(report)}' > "\${a#--outputFile.json=}";; esac; done`
    : '';
  await writeFile(fake, `#!/usr/bin/env bash\n${write}\nexit ${exitCode}\n`);
  await chmod(fake, 0o755);
  return spawnSync('bash', [SCRIPT], {
    env: { ...process.env, PATH: `${dir}${delimiter}${process.env['PATH'] ?? ''}` },
    encoding: 'utf8',
  });
}

const file = (status: string, assertions: string[]) => ({
  status,
  assertionResults: assertions.map((s) => ({ status: s })),
});

describe('.ci/test', () => {
  it('prints the closing line when tests fail, counting failed tests, and exits non-zero', async () => {
    const run = await runWith(
      {
        numPassedTests: 5,
        numFailedTests: 2,
        numPendingTests: 3,
        numTodoTests: 1,
        // The second file failed before any test ran (an import error): one more failure.
        testResults: [file('failed', ['passed', 'failed', 'failed']), file('failed', [])],
      },
      1,
    );
    expect(run.stdout).toContain('tests: 5 passed, 3 failed, 4 skipped');
    expect(run.status).toBe(1);
  });

  it('prints the closing line and exits 0 when every test passed', async () => {
    const run = await runWith(
      {
        numPassedTests: 7,
        numFailedTests: 0,
        numPendingTests: 0,
        numTodoTests: 0,
        testResults: [file('passed', ['passed'])],
      },
      0,
    );
    expect(run.stdout).toContain('tests: 7 passed, 0 failed, 0 skipped');
    expect(run.status).toBe(0);
  });

  it('says there is no report when vitest died without one, and keeps its exit status', async () => {
    const run = await runWith(undefined, 3);
    expect(run.stdout).toContain('tests: no report (vitest exited 3)');
    expect(run.status).toBe(3);
  });
});

import { fileURLToPath } from 'node:url';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runStrata, type StrataRun } from './helpers/child-server.js';
import { testDb } from './helpers/server.js';

/**
 * Every line `strata serve` writes is a JSON log line, also when it cannot start and when
 * something escapes every handler: a real child process, its stderr parsed line by line.
 */
const PROVOKE = fileURLToPath(new URL('./fixtures/provoke-process-events.ts', import.meta.url));

function parsed(run: StrataRun): Record<string, any>[] {
  expect(run.stdout).toBe('');
  expect(run.lines.length).toBeGreaterThan(0);
  return run.lines.map((line) => {
    try {
      return JSON.parse(line) as Record<string, any>;
    } catch {
      throw new Error(`not a JSON line: ${line}`);
    }
  });
}

describe.runIf(testDb === 'pglite')('strata serve writes only JSON lines', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'strata-json-lines-'));
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('a bad setting: one JSON line naming the variable, exit 2', async () => {
    const run = await runStrata(['serve'], { DATA_DIR: dataDir, PORT: 'http' });
    expect(run.code).toBe(2);
    const [line, ...rest] = parsed(run);
    expect(rest).toEqual([]);
    expect(line).toMatchObject({ level: 'error', msg: 'configuration error', variable: 'PORT' });
    expect(line!['detail']).toContain('PORT: expected a whole number');
  });

  it('an unreachable database: a JSON fatal line with the error code, exit 1', async () => {
    const run = await runStrata(['serve'], {
      DATA_DIR: dataDir,
      DATABASE_URL: 'postgres://strata@127.0.0.1:1/strata',
      DATABASE_CONNECT_RETRY_SECONDS: '0',
    });
    expect(run.code).toBe(1);
    const lines = parsed(run);
    expect(lines.at(-1)).toMatchObject({ level: 'error', code: 'index.unavailable' });
    expect(String(lines.at(-1)!['msg'])).toMatch(/could not be reached/);
    expect(JSON.stringify(lines.at(-1))).toContain('ECONNREFUSED');
  });

  it('a Node warning, console output and an uncaught exception: JSON lines without their text, exit 1', async () => {
    const run = await runStrata(
      ['serve'],
      { DATA_DIR: dataDir, LOG_LEVEL: 'info' },
      {
        nodeOptions: `--import tsx --import "${PROVOKE}"`,
      },
    );
    expect(run.code).toBe(1);
    const lines = parsed(run);
    expect(lines).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        msg: 'node warning',
        error: expect.objectContaining({ name: 'Warning', code: 'STRATA_TEST_WARNING' }),
      }),
    );
    expect(lines).toContainEqual(
      expect.objectContaining({ level: 'error', msg: 'console output', method: 'error' }),
    );
    expect(lines.at(-1)).toMatchObject({ level: 'error', msg: 'uncaught exception' });
    const all = run.lines.join('\n');
    for (const secret of ['SMITH', 'MRN-0042']) expect(all).not.toContain(secret);
  });
});

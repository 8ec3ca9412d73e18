import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase, testDb } from './helpers/server.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
let dataDir: string;
let database: Awaited<ReturnType<typeof freshDatabase>>;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'strata-cli-'));
  database = await freshDatabase();
});
afterAll(async () => {
  await database?.drop();
  await rm(dataDir, { recursive: true, force: true });
});

function strata(args: string[], env: Record<string, string>) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts', ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
}

describe(`strata CLI (${testDb})`, () => {
  it('migrate applies the migrations and exits 0, twice in a row', () => {
    const env = { DATA_DIR: dataDir, ...(database.url ? { DATABASE_URL: database.url } : {}) };
    for (let i = 0; i < 2; i++) {
      const run = strata(['migrate'], env);
      expect(run.status, run.stderr).toBe(0);
      expect(run.stdout).toContain(`index migrations applied (${testDb})`);
    }
  });

  it('a bad variable stops start-up with exit 2 and a message naming it', () => {
    const run = strata(['serve'], { DATA_DIR: dataDir, PORT: 'http' });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('PORT: expected a whole number');
  });

  it('an unknown command prints the usage and exits 2', () => {
    const run = strata(['frobnicate'], { DATA_DIR: dataDir });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('Usage: strata <command>');
  });
});

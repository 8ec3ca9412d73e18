import { describe, expect, it } from 'vitest';
import { createLogger } from '../lib/log.js';
import type { Db } from './db.js';
import { IndexRefusedError, IndexUnavailableError } from './errors.js';
import { waitForIndex } from './wait-for-index.js';

const driverError = (code: string) => Object.assign(new Error(`driver ${code}`), { code });

/** A database whose pings fail with `codes` in turn, then answer; time only moves by sleeping. */
function setup(codes: string[]) {
  let pings = 0;
  let clock = 0;
  const lines: Record<string, unknown>[] = [];
  const db = {
    execute: () => {
      const code = codes[pings++];
      return code
        ? Promise.reject(new Error('Failed query', { cause: driverError(code) }))
        : Promise.resolve([]);
    },
  } as unknown as Db;
  const options = {
    log: createLogger('debug', (line) => lines.push(JSON.parse(line) as Record<string, unknown>)),
    sleep: (ms: number) => ((clock += ms), Promise.resolve()),
    now: () => clock,
  };
  return { db, options, lines, pings: () => pings };
}

describe('waitForIndex', () => {
  it('retries an unreachable database with doubling delays, one warn line per attempt', async () => {
    const { db, options, lines } = setup(['ECONNREFUSED', 'ECONNREFUSED', '57P03']);
    await waitForIndex(db, { ...options, retryForMs: 60_000 });
    expect(
      lines
        .filter((l) => l['level'] === 'warn')
        .map((l) => [l['code'], l['attempt'], l['retryInMs']]),
    ).toEqual([
      ['ECONNREFUSED', 1, 500],
      ['ECONNREFUSED', 2, 1000],
      ['57P03', 3, 2000],
    ]);
    expect(lines.at(-1)).toMatchObject({ level: 'info', msg: 'index reachable', attempt: 4 });
  });

  it('gives up when the window closes, naming the last error code', async () => {
    const { db, options, pings } = setup(Array<string>(100).fill('CONNECT_TIMEOUT'));
    const error: unknown = await waitForIndex(db, { ...options, retryForMs: 20_000 }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(IndexUnavailableError);
    expect((error as Error).message).toMatch(
      /could not be reached \(6 attempt\(s\) in 16 s, last error CONNECT_TIMEOUT\)/,
    );
    expect(pings()).toBe(6);
  });

  it('fails on the first refusal when the window is 0', async () => {
    const { db, options, lines } = setup(['ECONNREFUSED']);
    await expect(waitForIndex(db, { ...options, retryForMs: 0 })).rejects.toBeInstanceOf(
      IndexUnavailableError,
    );
    expect(lines).toEqual([]);
  });

  it.each(['3D000', '28P01'])(
    'does not wait out %s (unknown database, bad credentials)',
    async (code) => {
      const { db, options, pings } = setup([code]);
      await expect(waitForIndex(db, { ...options, retryForMs: 60_000 })).rejects.toBeInstanceOf(
        IndexRefusedError,
      );
      expect(pings()).toBe(1);
    },
  );
});

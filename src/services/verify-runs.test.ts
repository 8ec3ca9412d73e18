import { describe, expect, it } from 'vitest';
import { FakeClock } from '../lib/clock.js';
import { createLogger } from '../lib/log.js';
import type { VerifyOptions, VerifyReport } from './verify.js';
import { VerifyRuns } from './verify-runs.js';

const REPORT: VerifyReport = {
  instances: 3,
  blobsListed: 3,
  missing: 0,
  sizeMismatches: 0,
  checksumMismatches: 0,
  offline: 0,
  orphans: 0,
  orphansRemoved: 0,
  errors: 0,
  problems: [],
  ok: true,
};

function deferred() {
  let resolve!: (r: VerifyReport) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<VerifyReport>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('#14: verify runs started over HTTP', () => {
  it('runs one at a time in the background, never removing orphans, and keeps the last report', async () => {
    const runs: VerifyOptions[] = [];
    let pending = deferred();
    const verifier = new VerifyRuns(
      {
        run: (options) => {
          runs.push(options);
          return pending.promise;
        },
      },
      createLogger('silent'),
      { concurrency: 2, clock: new FakeClock(new Date('2026-01-01T00:00:00Z')) },
    );
    expect(verifier.status()).toEqual({ running: null, last: null });
    expect(verifier.start(true)).toBe(true);
    expect(verifier.start(false)).toBe(false);
    expect(runs).toEqual([{ checksums: true, removeOrphans: false, concurrency: 2 }]);
    expect(verifier.status().running?.checksums).toBe(true);
    pending.resolve(REPORT);
    await verifier.settled();
    expect(verifier.status().running).toBeNull();
    expect(verifier.status().last?.report).toEqual(REPORT);

    pending = deferred();
    expect(verifier.start(false)).toBe(true);
    pending.reject(Object.assign(new Error('index down'), { code: 'index.unavailable' }));
    await verifier.settled();
    expect(verifier.status().last).toMatchObject({
      checksums: false,
      report: null,
      failed: 'index.unavailable',
    });
  });
});

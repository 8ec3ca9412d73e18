import { describe, expect, it } from 'vitest';
import type { MigrationCandidate } from '../index/hsm.repository.js';
import { policyCriteria, recallCriteria, withinByteBudget, type TierPolicy } from './hsm-policy.js';

const now = new Date('2026-06-01T00:00:00Z');
const day = 86_400_000;
const base: TierPolicy = {
  from: 'hot',
  to: 'cold',
  afterDaysSinceLastAccess: undefined,
  afterDaysSinceStored: undefined,
  maxInstancesPerCycle: 50,
  maxBytesPerCycle: undefined,
  concurrency: 4,
};

describe('policyCriteria', () => {
  it('turns days into cut-off times before the clock’s now, with the instance limit', () => {
    const c = policyCriteria(
      { ...base, afterDaysSinceLastAccess: 30, afterDaysSinceStored: 90 },
      now,
      { leaseSeconds: 600, recallWindowDays: undefined },
    );
    expect(c).toEqual({
      fromTier: 'hot',
      now,
      leaseSeconds: 600,
      lastAccessBefore: new Date(now.getTime() - 30 * day),
      storedBefore: new Date(now.getTime() - 90 * day),
      limit: 50,
    });
  });

  it('into an offline tier with recall, also requires no access within the recall window', () => {
    const storedOnly = policyCriteria({ ...base, afterDaysSinceStored: 90 }, now, {
      leaseSeconds: 1,
      recallWindowDays: 3,
    });
    expect(storedOnly.lastAccessBefore).toEqual(new Date(now.getTime() - 3 * day));
    const longer = policyCriteria({ ...base, afterDaysSinceLastAccess: 30 }, now, {
      leaseSeconds: 1,
      recallWindowDays: 3,
    });
    expect(longer.lastAccessBefore).toEqual(new Date(now.getTime() - 30 * day));
  });
});

describe('recallCriteria', () => {
  it('claims instances of the offline tier accessed within the window', () => {
    const c = recallCriteria(
      {
        onAccess: true,
        toTier: 'hot',
        accessedWithinDays: 0.5,
        maxInstancesPerCycle: 7,
        concurrency: 1,
      },
      'cold',
      now,
      60,
    );
    expect(c).toEqual({
      fromTier: 'cold',
      now,
      leaseSeconds: 60,
      accessedSince: new Date(now.getTime() - day / 2),
      limit: 7,
    });
  });
});

describe('withinByteBudget', () => {
  const c = (id: number, size: number): MigrationCandidate => ({
    id,
    size,
    blobKey: `k${id}`,
    storageTier: 'hot',
    sha256: '',
    version: 1,
    leaseUntil: now,
  });

  it('takes candidates in order while they fit; one too big does not block smaller ones', () => {
    const { take, rest } = withinByteBudget([c(1, 40), c(2, 100), c(3, 50), c(4, 20)], 100);
    expect(take.map((x) => x.id)).toEqual([1, 3]);
    expect(rest.map((x) => x.id)).toEqual([2, 4]);
  });

  it('takes everything without a byte limit', () => {
    expect(withinByteBudget([c(1, 1e12)], undefined).take).toHaveLength(1);
  });
});

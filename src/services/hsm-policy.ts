import type { ClaimCriteria, MigrationCandidate } from '../index/hsm.repository.js';

/** One tier transition (the STRATA_CONFIG `policies` entry, as plain options). */
export interface TierPolicy {
  from: string;
  to: string;
  afterDaysSinceLastAccess: number | undefined;
  afterDaysSinceStored: number | undefined;
  maxInstancesPerCycle: number;
  maxBytesPerCycle: number | undefined;
  concurrency: number;
}

export interface RecallPolicy {
  onAccess: boolean;
  toTier: string;
  accessedWithinDays: number;
  maxInstancesPerCycle: number;
  concurrency: number;
}

const DAY_MS = 86_400_000;

const daysBefore = (now: Date, days: number) => new Date(now.getTime() - days * DAY_MS);

/**
 * What a policy claims at `now`: instances of `from` whose every configured age has passed. A
 * move INTO an offline tier with recall on also requires no retrieve within the recall window,
 * else a stored-age policy would archive an instance the next cycle recalls (ping-pong).
 */
export function policyCriteria(
  policy: TierPolicy,
  now: Date,
  options: { leaseSeconds: number; recallWindowDays: number | undefined },
): ClaimCriteria {
  const byAccess = [policy.afterDaysSinceLastAccess, options.recallWindowDays].filter(
    (d): d is number => d !== undefined,
  );
  return {
    fromTier: policy.from,
    now,
    leaseSeconds: options.leaseSeconds,
    lastAccessBefore: byAccess.length > 0 ? daysBefore(now, Math.max(...byAccess)) : undefined,
    storedBefore:
      policy.afterDaysSinceStored !== undefined
        ? daysBefore(now, policy.afterDaysSinceStored)
        : undefined,
    limit: policy.maxInstancesPerCycle,
  };
}

/**
 * Recall rule: an instance of an offline tier retrieved within `accessedWithinDays` (WADO
 * records the attempt even when the read failed with 503) goes back to `toTier`. Moves into
 * offline tiers never take instances retrieved within that window, so a retrieve after the move
 * is what makes an instance qualify.
 */
export function recallCriteria(
  recall: RecallPolicy,
  fromTier: string,
  now: Date,
  leaseSeconds: number,
): ClaimCriteria {
  return {
    fromTier,
    now,
    leaseSeconds,
    accessedSince: daysBefore(now, recall.accessedWithinDays),
    limit: recall.maxInstancesPerCycle,
  };
}

/**
 * Splits claimed candidates (oldest access first) into those that fit `maxBytes` and the rest.
 * Greedy: an instance that does not fit is passed over and smaller later ones may still fit, so
 * one huge instance cannot block a tier forever; it waits for a policy with a larger budget.
 */
export function withinByteBudget(
  candidates: MigrationCandidate[],
  maxBytes: number | undefined,
): { take: MigrationCandidate[]; rest: MigrationCandidate[] } {
  if (maxBytes === undefined) return { take: candidates, rest: [] };
  const take: MigrationCandidate[] = [];
  const rest: MigrationCandidate[] = [];
  let total = 0;
  for (const c of candidates) {
    if (total + c.size <= maxBytes) {
      take.push(c);
      total += c.size;
    } else rest.push(c);
  }
  return { take, rest };
}

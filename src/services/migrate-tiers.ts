import { hostname } from 'node:os';
import type { Db } from '../index/db.js';
import {
  claimCandidates,
  cycleTotals,
  insertCycle,
  recentCycles,
  releaseClaims,
  tierStatistics,
  type ClaimCriteria,
  type CycleTotals,
  type MigrationCandidate,
  type TierStatistics,
} from '../index/hsm.repository.js';
import type { Clock } from '../lib/clock.js';
import { forEachLimited } from '../lib/for-each-limited.js';
import type { Logger } from '../lib/log.js';
import type { BlobStore } from '../storage/blob-store.js';
import {
  policyCriteria,
  recallCriteria,
  withinByteBudget,
  type RecallPolicy,
  type TierPolicy,
} from './hsm-policy.js';
import type { ServiceObserver } from './observer.js';
import { moveInstance, type MoveDeps, type MoveOutcome } from './migrate-one.js';
import type { SweepBlobs } from './sweep-blobs.js';

export interface MigrateTiersOptions {
  tiers: { name: string; offline: boolean }[];
  policies: TierPolicy[];
  migration: { intervalSeconds: number; leaseSeconds: number };
  recall: RecallPolicy | undefined;
}

export interface MigrateTiersDeps {
  db: Db;
  stores: ReadonlyMap<string, BlobStore>;
  sweeper: SweepBlobs;
  log: Logger;
  clock: Clock;
  options: MigrateTiersOptions;
  pendingGraceSeconds: number;
  deleteGraceSeconds: number;
  fault?: MoveDeps['fault'];
  /** Told of each instance a transition tried to move (metrics/). */
  observer?: Pick<ServiceObserver, 'hsmMove'> | undefined;
  /** Names this process in `hsm_cycles.worker`; default host:pid. */
  worker?: string;
}

export type CycleTrigger = 'interval' | 'cli' | 'admin' | 'test';

/** What one transition (a policy, or the recall of one offline tier) did in a cycle. */
export interface TransitionReport {
  kind: 'policy' | 'recall';
  from: string;
  to: string;
  migrated: number;
  bytes: number;
  skipped: number;
  failed: number;
  /** PHI-free: source key, step, error code. At most 100 per transition. */
  failures: { key: string; step: string; code: string }[];
}

export interface CycleReport {
  worker: string;
  trigger: CycleTrigger;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  migrated: number;
  bytes: number;
  skipped: number;
  failed: number;
  transitions: TransitionReport[];
}

const MAX_FAILURES_LISTED = 100;

/**
 * The HSM migration service: runs cycles on an interval (and on demand from the CLI and the
 * admin endpoint). A cycle applies each policy in configuration order — claim (row locks +
 * lease, so several processes sharing one database never move the same instance), trim to the
 * byte budget, move with bounded concurrency (migrate-one.ts has the crash-safe order) — then
 * recalls recently retrieved instances of offline tiers (hsm-policy.ts `recallCriteria`). Each
 * cycle is logged and recorded in `hsm_cycles`; cumulative figures sum that table.
 */
export class MigrateTiers {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<CycleReport> | undefined;
  private readonly worker: string;
  private readonly offlineTiers: ReadonlySet<string>;

  constructor(private readonly deps: MigrateTiersDeps) {
    this.worker = deps.worker ?? `${hostname()}:${process.pid}`;
    this.offlineTiers = new Set(deps.options.tiers.filter((t) => t.offline).map((t) => t.name));
  }

  /** Runs one cycle now; a cycle already running in this process is awaited instead. */
  runCycle(trigger: CycleTrigger): Promise<CycleReport> {
    this.running ??= this.cycle(trigger).finally(() => (this.running = undefined));
    return this.running;
  }

  private async cycle(trigger: CycleTrigger): Promise<CycleReport> {
    const { options, clock } = this.deps;
    const startedAt = clock.now();
    const started = performance.now();
    const transitions: TransitionReport[] = [];
    const offline = this.offlineTiers;
    const recallWindow = options.recall?.onAccess ? options.recall.accessedWithinDays : undefined;

    for (const policy of options.policies) {
      const criteria = policyCriteria(policy, clock.now(), {
        leaseSeconds: options.migration.leaseSeconds,
        recallWindowDays: offline.has(policy.to) ? recallWindow : undefined,
      });
      transitions.push(
        await this.transition('policy', policy.from, policy.to, criteria, {
          maxBytes: policy.maxBytesPerCycle,
          concurrency: policy.concurrency,
        }),
      );
    }
    const recall = options.recall;
    if (recall?.onAccess) {
      for (const tier of offline) {
        const criteria = recallCriteria(recall, tier, clock.now(), options.migration.leaseSeconds);
        transitions.push(
          await this.transition('recall', tier, recall.toTier, criteria, {
            maxBytes: undefined,
            concurrency: recall.concurrency,
          }),
        );
      }
    }

    const finishedAt = new Date(startedAt.getTime() + (performance.now() - started));
    const sum = (f: (t: TransitionReport) => number) => transitions.reduce((n, t) => n + f(t), 0);
    const report: CycleReport = {
      worker: this.worker,
      trigger,
      startedAt: startedAt.toISOString(),
      finishedAt: finishedAt.toISOString(),
      durationMs: Math.round(performance.now() - started),
      migrated: sum((t) => t.migrated),
      bytes: sum((t) => t.bytes),
      skipped: sum((t) => t.skipped),
      failed: sum((t) => t.failed),
      transitions,
    };
    await insertCycle(this.deps.db, {
      worker: report.worker,
      trigger,
      startedAt,
      finishedAt,
      migrated: report.migrated,
      bytes: report.bytes,
      skipped: report.skipped,
      failed: report.failed,
      details: { transitions },
    });
    const fields = {
      worker: report.worker,
      trigger,
      durationMs: report.durationMs,
      migrated: report.migrated,
      bytes: report.bytes,
      skipped: report.skipped,
      failed: report.failed,
      failures: transitions.flatMap((t) => t.failures).slice(0, 10),
    };
    if (report.failed > 0) this.deps.log.warn('hsm cycle finished', fields);
    else this.deps.log.info('hsm cycle finished', fields);
    return report;
  }

  private async transition(
    kind: TransitionReport['kind'],
    from: string,
    to: string,
    criteria: ClaimCriteria,
    limits: { maxBytes: number | undefined; concurrency: number },
  ): Promise<TransitionReport> {
    const report: TransitionReport = {
      kind,
      from,
      to,
      migrated: 0,
      bytes: 0,
      skipped: 0,
      failed: 0,
      failures: [],
    };
    const source = this.deps.stores.get(from);
    const target = this.deps.stores.get(to);
    if (!source || !target) throw new Error(`hsm: tier ${from} or ${to} has no store`);
    const claimed = await claimCandidates(this.deps.db, criteria);
    const { take, rest } = withinByteBudget(claimed, limits.maxBytes);
    await releaseClaims(this.deps.db, rest);
    report.skipped += rest.length;

    const moveDeps: MoveDeps = {
      db: this.deps.db,
      sweeper: this.deps.sweeper,
      pendingGraceSeconds: this.deps.pendingGraceSeconds,
      deleteGraceSeconds: this.deps.deleteGraceSeconds,
      fault: this.deps.fault,
    };
    const unfinished: MigrationCandidate[] = [];
    await forEachLimited(take, limits.concurrency, async (candidate) => {
      const outcome: MoveOutcome = await moveInstance(
        moveDeps,
        candidate,
        source,
        target,
        this.offlineTiers.has(to),
      );
      this.deps.observer?.hsmMove({
        kind,
        from,
        to,
        outcome: outcome.kind,
        bytes: outcome.kind === 'moved' ? outcome.bytes : 0,
      });
      switch (outcome.kind) {
        case 'moved':
          report.migrated++;
          report.bytes += outcome.bytes;
          return;
        case 'skipped':
          report.skipped++;
          unfinished.push(candidate);
          return;
        case 'failed':
          report.failed++;
          unfinished.push(candidate);
          if (report.failures.length < MAX_FAILURES_LISTED) {
            report.failures.push({ key: outcome.key, step: outcome.step, code: outcome.code });
          }
          return;
      }
    });
    // Unmoved instances are free for the next cycle (or another worker) at once.
    await releaseClaims(this.deps.db, unfinished);
    return report;
  }

  /** Per-tier instances, bytes, studies, series and patients. */
  async statistics(): Promise<TierStatistics[]> {
    return tierStatistics(this.deps.db);
  }

  /** Cumulative results over every recorded cycle of every worker. */
  async totals(): Promise<CycleTotals> {
    return cycleTotals(this.deps.db);
  }

  async recentCycles(limit = 20) {
    return recentCycles(this.deps.db, limit);
  }

  /** Cycles every `migration.intervalSeconds` (0 = only on demand) until `stop()`. */
  start(): void {
    const seconds = this.deps.options.migration.intervalSeconds;
    if (seconds <= 0 || this.timer) return;
    this.timer = setInterval(() => {
      this.runCycle('interval').catch((error: unknown) =>
        this.deps.log.error('hsm cycle failed', { error }),
      );
    }, seconds * 1000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }
}

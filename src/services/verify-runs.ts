import { systemClock, type Clock } from '../lib/clock.js';
import type { Logger } from '../lib/log.js';
import type { VerifyOptions, VerifyReport, VerifyStorage } from './verify.js';

/** One verify run started by an admin: when, how, and its report (or why it failed). */
export interface VerifyRun {
  startedAt: Date;
  finishedAt: Date | null;
  checksums: boolean;
  report: VerifyReport | null;
  /** The error's code or class when the walk itself failed (no detail: it may name keys). */
  failed: string | null;
}

/**
 * Verify runs asked for over HTTP (POST /admin/verify), one at a time, in the background: a
 * whole walk re-hashes every blob and can take hours, far longer than a request may wait. The
 * last finished run is kept in memory for GET /admin/verify (a restart forgets it; `strata
 * verify` on the command line prints its own report). Orphans are only reported here, never
 * removed: deleting is for the operator at the command line.
 */
export class VerifyRuns {
  private current: VerifyRun | undefined;
  private last: VerifyRun | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly verify: Pick<VerifyStorage, 'run'>,
    private readonly log: Logger,
    private readonly options: { concurrency: number; clock?: Clock | undefined } = {
      concurrency: 4,
    },
  ) {}

  /** Starts a run; false when one is already running (nothing new is started). */
  start(checksums: boolean): boolean {
    if (this.current) return false;
    const clock = this.options.clock ?? systemClock;
    const run: VerifyRun = {
      startedAt: clock.now(),
      finishedAt: null,
      checksums,
      report: null,
      failed: null,
    };
    this.current = run;
    const options: VerifyOptions = {
      checksums,
      removeOrphans: false,
      concurrency: this.options.concurrency,
    };
    this.running = this.verify
      .run(options)
      .then(
        (report) => {
          run.report = report;
        },
        (error: unknown) => {
          run.failed = codeOf(error);
          this.log.error('verify run failed', { error });
        },
      )
      .finally(() => {
        run.finishedAt = clock.now();
        this.last = run;
        this.current = undefined;
      });
    return true;
  }

  status(): { running: VerifyRun | null; last: VerifyRun | null } {
    return { running: this.current ?? null, last: this.last ?? null };
  }

  /** Resolves when the run in progress (if any) has finished; for shutdown and tests. */
  async settled(): Promise<void> {
    await this.running;
  }
}

function codeOf(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    return (error as { name?: unknown }).name === undefined
      ? 'error'
      : String((error as Error).name);
  }
  return 'error';
}

import type { Db } from '../index/db.js';
import { pingIndex } from '../index/ping.js';
import type { BlobStore } from '../storage/blob-store.js';

/** One dependency's answer: its name (`index`, `tier:<name>`), and a PHI-free code when not ok. */
export interface ReadinessCheck {
  name: string;
  ok: boolean;
  /** Our error code (`index.unavailable`, `storage.unavailable`), `timeout`, or `failed`. */
  code?: string;
}

export interface ReadinessReport {
  ready: boolean;
  checks: ReadinessCheck[];
}

export interface ReadinessDeps {
  db: Db;
  stores: ReadonlyMap<string, BlobStore>;
  /** Longest wait for each check; a dependency slower than this counts as not ready. */
  timeoutMs: number;
}

/** A key no put ever makes (keys are `xx/<ulid>`): asking for it costs one cheap lookup. */
const ABSENT_KEY = 'readiness-probe';

/**
 * Readiness ("can this process serve requests now?"), as opposed to liveness: the index answers
 * a trivial query and every storage tier answers its probe (or, without one, a lookup), all in
 * parallel and each within `timeoutMs`. Nothing is cached: an orchestrator polls it at its own
 * pace, and a stale "ready" is what readiness must not say.
 */
export class Readiness {
  constructor(private readonly deps: ReadinessDeps) {}

  async check(): Promise<ReadinessReport> {
    const checks = await Promise.all([
      this.run('index', () => pingIndex(this.deps.db)),
      ...[...this.deps.stores].map(([name, store]) =>
        this.run(`tier:${name}`, () => (store.probe ? store.probe() : store.exists(ABSENT_KEY))),
      ),
    ]);
    return { ready: checks.every((c) => c.ok), checks };
  }

  private async run(name: string, check: () => Promise<unknown>): Promise<ReadinessCheck> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.deps.timeoutMs);
    });
    try {
      const outcome = await Promise.race([check().then(() => 'ok' as const), timeout]);
      return outcome === 'ok' ? { name, ok: true } : { name, ok: false, code: 'timeout' };
    } catch (error) {
      return { name, ok: false, code: codeOf(error) };
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Only our own stable codes leave the process; a foreign error's text could hold anything. */
function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[a-z]+\.[a-z_]+$/.test(code) ? code : 'failed';
}

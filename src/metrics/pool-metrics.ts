import { Gauge, Histogram, type Registry } from 'prom-client';
import type { QueryObserver } from '../index/guard.js';
import { LATENCY_BUCKETS } from './registry.js';

export interface IndexPoolOptions {
  driver: 'postgres' | 'pglite';
  /** Connections the driver may open: DATABASE_POOL_SIZE, or 1 for PGlite (one at a time). */
  size: number;
}

/**
 * Database pool use. postgres.js does not publish how many connections it holds, and PGlite
 * runs one statement at a time behind a queue it does not expose, so both are measured the
 * same way: statements and transactions in flight (`strata_db_queries_in_flight`), set against
 * the pool size; those beyond it wait for a connection (`strata_db_queries_waiting`, the queue
 * depth). Each statement's time, waiting included, is `strata_db_query_duration_seconds`.
 */
export class IndexPoolMetrics implements QueryObserver {
  private inFlight = 0;
  private readonly duration: Histogram<'driver' | 'outcome'>;

  constructor(
    registry: Registry,
    private readonly options: IndexPoolOptions,
  ) {
    const driver = options.driver;
    const inFlight = () => this.inFlight;
    new Gauge({
      name: 'strata_db_pool_size',
      help: 'Connections the index driver may use at once',
      labelNames: ['driver'],
      registers: [registry],
      collect() {
        this.set({ driver }, options.size);
      },
    });
    new Gauge({
      name: 'strata_db_queries_in_flight',
      help: 'Index statements and transactions sent and not yet settled (running or waiting)',
      labelNames: ['driver'],
      registers: [registry],
      collect() {
        this.set({ driver }, inFlight());
      },
    });
    new Gauge({
      name: 'strata_db_queries_waiting',
      help: 'Index statements beyond the pool size, waiting for a connection (queue depth)',
      labelNames: ['driver'],
      registers: [registry],
      collect() {
        this.set({ driver }, Math.max(0, inFlight() - options.size));
      },
    });
    this.duration = new Histogram({
      name: 'strata_db_query_duration_seconds',
      help: 'Index statement or transaction time, waiting for a connection included',
      labelNames: ['driver', 'outcome'],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    });
  }

  begin(): (error?: unknown) => void {
    this.inFlight++;
    const started = performance.now();
    return (error) => {
      this.inFlight--;
      const outcome = error === undefined ? 'ok' : 'error';
      const seconds = (performance.now() - started) / 1000;
      this.duration.observe({ driver: this.options.driver, outcome }, seconds);
    };
  }
}

/** What the render pool reports (imaging/imaging-pool.ts `load()`). */
export interface RenderLoad {
  load(): { active: number; queued: number };
}

/** Render slots in use and the queue waiting for one (`strata_render_queue_depth`). */
export function renderPoolMetrics(registry: Registry, pool: RenderLoad, slots: number): void {
  new Gauge({
    name: 'strata_render_slots',
    help: 'Render worker slots (RENDER_CONCURRENCY)',
    registers: [registry],
    collect() {
      this.set(slots);
    },
  });
  new Gauge({
    name: 'strata_render_active',
    help: 'Decodes and renders running now',
    registers: [registry],
    collect() {
      this.set(pool.load().active);
    },
  });
  new Gauge({
    name: 'strata_render_queue_depth',
    help: 'Render requests waiting for a slot',
    registers: [registry],
    collect() {
      this.set(pool.load().queued);
    },
  });
}

import { Counter, Histogram, type Registry } from 'prom-client';
import type { StorageObserver } from '../storage/observed-blob-store.js';
import { LATENCY_BUCKETS } from './registry.js';
import { errorCodeOf } from './error-code.js';

/**
 * Storage operations per tier: latency (`strata_storage_operation_duration_seconds`, `get`
 * until the stream opens) and failures by error code (`strata_storage_errors_total`).
 */
export class StorageMetrics implements StorageObserver {
  private readonly duration: Histogram<'tier' | 'operation' | 'outcome'>;
  private readonly errors: Counter<'tier' | 'operation' | 'code'>;

  constructor(registry: Registry) {
    this.duration = new Histogram({
      name: 'strata_storage_operation_duration_seconds',
      help: 'Storage operation latency by tier, operation (put, get, stat, exists, delete) and outcome',
      labelNames: ['tier', 'operation', 'outcome'],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    });
    this.errors = new Counter({
      name: 'strata_storage_errors_total',
      help: 'Failed storage operations by tier, operation and error code',
      labelNames: ['tier', 'operation', 'code'],
      registers: [registry],
    });
  }

  begin(tier: string, operation: string): (error?: unknown) => void {
    const started = performance.now();
    return (error) => {
      const seconds = (performance.now() - started) / 1000;
      const outcome = error === undefined ? 'ok' : 'error';
      this.duration.observe({ tier, operation, outcome }, seconds);
      if (error !== undefined) this.errors.inc({ tier, operation, code: errorCodeOf(error) });
    };
  }
}

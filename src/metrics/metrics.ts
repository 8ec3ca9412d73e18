import type { Registry } from 'prom-client';
import { DimseMetrics } from './dimse-metrics.js';
import { HttpMetrics } from './http-metrics.js';
import {
  IndexPoolMetrics,
  renderPoolMetrics,
  type IndexPoolOptions,
  type RenderLoad,
} from './pool-metrics.js';
import { createRegistry } from './registry.js';
import { ServiceMetrics } from './service-metrics.js';
import { StorageMetrics } from './storage-metrics.js';

/**
 * The Prometheus figures of one server (README "Observability" lists them). Each part is the
 * observer a layer reports to: web/ requests, storage/ operations per tier, index/ statements,
 * services/ STOW and HSM, the render pool, the DIMSE listener. Labels are route templates, tier names, operation
 * names, PS3.4 codes and error codes only: no UID, key, path or patient value can reach one.
 */
export class Metrics {
  readonly registry: Registry = createRegistry();
  readonly http = new HttpMetrics(this.registry);
  readonly storage = new StorageMetrics(this.registry);
  readonly services = new ServiceMetrics(this.registry);
  readonly dimse = new DimseMetrics(this.registry);
  readonly index: IndexPoolMetrics;

  constructor(index: IndexPoolOptions) {
    this.index = new IndexPoolMetrics(this.registry, index);
  }

  /** Publishes the render pool's load (it is built after the index). */
  watchRenderPool(pool: RenderLoad, slots: number): void {
    renderPoolMetrics(this.registry, pool, slots);
  }

  /** The text exposition format (version 0.0.4), as scraped at `GET /metrics`. */
  async scrape(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

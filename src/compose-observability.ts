import type { Config } from './config/config.js';
import type { QueryObserver } from './index/guard.js';
import { Metrics } from './metrics/metrics.js';
import type { StorageObserver } from './storage/observed-blob-store.js';
import type { Tracing } from './tracing/tracing.js';
import type { MetricsRouteOptions } from './web/metrics.routes.js';
import type { RequestObserver } from './web/request-observer.js';

/**
 * The observability half of the composition root: the Prometheus figures (always kept: a few
 * counters cost nothing measurable) and, when asked for, OpenTelemetry tracing. Each layer gets
 * one observer; where both are on, the observer tells both.
 */
export interface Observability {
  metrics: Metrics;
  /** Present when tracing is on (STRATA_TRACING=otlp or OTEL_EXPORTER_OTLP_ENDPOINT). */
  tracing: Tracing | undefined;
  index: QueryObserver;
  storage: StorageObserver;
  requests: RequestObserver[];
  /** `GET /metrics` and who may scrape it. */
  route: MetricsRouteOptions;
  close(): Promise<void>;
}

export function tracingEnabled(config: Config): boolean {
  const { tracing, otlpEndpoint } = config.observability;
  return tracing === undefined ? otlpEndpoint !== undefined : tracing === 'otlp';
}

export async function openObservability(config: Config): Promise<Observability> {
  const metrics = new Metrics({
    driver: config.databaseUrl ? 'postgres' : 'pglite',
    size: config.databaseUrl ? config.databasePoolSize : 1,
  });
  // Loaded only when on: the SDK and exporter are several MB of modules nobody else needs.
  const tracing = tracingEnabled(config)
    ? await import('./tracing/tracing.js').then(({ Tracing }) =>
        Tracing.start({
          endpoint: config.observability.otlpEndpoint,
          serviceName: config.observability.serviceName,
        }),
      )
    : undefined;
  return {
    metrics,
    tracing,
    index: tracing ? both(metrics.index, tracing.index) : metrics.index,
    storage: tracing ? both(metrics.storage, tracing.storage) : metrics.storage,
    // Tracing outermost, so the request's span is current while everything else runs.
    requests: tracing ? [tracing, metrics.http] : [metrics.http],
    route: {
      scrape: () => metrics.scrape(),
      public: config.observability.metricsPublic,
      token: config.observability.metricsToken,
    },
    close: async () => {
      await tracing?.shutdown();
    },
  };
}

/** One observer telling two: `begin` on both, and both ends at the end. */
function both<A extends unknown[]>(
  first: { begin(...args: A): (error?: unknown) => void },
  second: { begin(...args: A): (error?: unknown) => void },
): { begin(...args: A): (error?: unknown) => void } {
  return {
    begin: (...args) => {
      const a = first.begin(...args);
      const b = second.begin(...args);
      return (error) => {
        a(error);
        b(error);
      };
    },
  };
}

import { collectDefaultMetrics, Registry } from 'prom-client';

/**
 * A registry of our own (not prom-client's global one), so two servers in one process (the
 * tests) keep separate counts, with prom-client's default process metrics: CPU, resident
 * memory, heap, open file descriptors, GC, and the event-loop delay
 * (`nodejs_eventloop_lag_seconds`, `nodejs_eventloop_lag_p99_seconds`, …).
 */
export function createRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}

/**
 * Buckets of request and storage latency, in seconds: 1 ms (a cached lookup) up to 60 s (a
 * whole study retrieved or stored over a slow link).
 */
export const LATENCY_BUCKETS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
];

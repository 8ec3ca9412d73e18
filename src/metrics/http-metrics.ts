import { Counter, Histogram, type Registry } from 'prom-client';
import { LATENCY_BUCKETS } from './registry.js';

/** The methods the API answers; anything else is counted as `other` (labels stay bounded). */
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/** One answered request, as web/ reports it: `route` is a template (or `unmatched`), never a path. */
export interface RequestFigures {
  method: string;
  route: string;
  status: number;
  seconds: number;
}

/**
 * Requests by route template, method and status (`strata_http_requests_total`) and their
 * latency by status class (`strata_http_request_duration_seconds`: until the handler has its
 * answer, i.e. time to the status line; a streamed body's own pace is the client's).
 */
export class HttpMetrics {
  private readonly requests: Counter<'method' | 'route' | 'status' | 'status_class'>;
  private readonly duration: Histogram<'method' | 'route' | 'status_class'>;

  constructor(registry: Registry) {
    this.requests = new Counter({
      name: 'strata_http_requests_total',
      help: 'HTTP requests answered, by method, route template and status',
      labelNames: ['method', 'route', 'status', 'status_class'],
      registers: [registry],
    });
    this.duration = new Histogram({
      name: 'strata_http_request_duration_seconds',
      help: 'Time from request to the status line, by method, route template and status class',
      labelNames: ['method', 'route', 'status_class'],
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    });
  }

  /** As web/request-observer.ts asks: times `handle`, then counts its answer. */
  async around(
    method: string,
    handle: () => Promise<void>,
    answer: () => { route: string; status: number },
  ): Promise<void> {
    const started = performance.now();
    try {
      await handle();
    } finally {
      this.observe({ method, ...answer(), seconds: (performance.now() - started) / 1000 });
    }
  }

  observe({ method, route, status, seconds }: RequestFigures): void {
    const m = METHODS.has(method) ? method : 'other';
    const statusClass = `${Math.floor(status / 100)}xx`;
    this.requests.inc({ method: m, route, status: String(status), status_class: statusClass });
    this.duration.observe({ method: m, route, status_class: statusClass }, seconds);
  }
}

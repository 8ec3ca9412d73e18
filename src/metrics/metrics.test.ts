import { describe, expect, it } from 'vitest';
import { FailureReason } from '../services/outcomes.js';
import { errorCodeOf } from './error-code.js';
import { Metrics } from './metrics.js';

describe('Metrics', () => {
  it('labels a refused STOW part by its PS3.4 code in hex, and publishes the defaults', async () => {
    const metrics = new Metrics({ driver: 'pglite', size: 1 });
    metrics.services.stowPart('failed', FailureReason.CannotUnderstand);
    metrics.services.stowPart('created');
    metrics.watchRenderPool({ load: () => ({ active: 2, queued: 5 }) }, 4);
    const { contentType, body } = await metrics.scrape();
    expect(contentType).toContain('text/plain');
    expect(body).toContain('strata_stow_instances_total{outcome="failed",reason="C000"} 1');
    expect(body).toContain('strata_stow_instances_total{outcome="created",reason=""} 1');
    expect(body).toContain('strata_render_queue_depth 5');
    expect(body).toContain('strata_render_slots 4');
    expect(body).toContain('strata_db_pool_size{driver="pglite"} 1');
    expect(body).toContain('nodejs_eventloop_lag_seconds');
  });

  it('counts statements beyond the pool as waiting', async () => {
    const metrics = new Metrics({ driver: 'postgres', size: 2 });
    const ends = [1, 2, 3].map(() => metrics.index.begin());
    let { body } = await metrics.scrape();
    expect(body).toContain('strata_db_queries_in_flight{driver="postgres"} 3');
    expect(body).toContain('strata_db_queries_waiting{driver="postgres"} 1');
    ends.forEach((end) => end());
    ({ body } = await metrics.scrape());
    expect(body).toContain('strata_db_queries_in_flight{driver="postgres"} 0');
  });

  it('counts unknown methods as other, so a client cannot grow the label set', async () => {
    const metrics = new Metrics({ driver: 'pglite', size: 1 });
    metrics.http.observe({ method: 'BREW', route: 'unmatched', status: 405, seconds: 0.001 });
    expect((await metrics.scrape()).body).toContain(
      'strata_http_requests_total{method="other",route="unmatched",status="405",status_class="4xx"} 1',
    );
  });
});

describe('errorCodeOf', () => {
  it('passes our stable codes and nothing else', () => {
    expect(errorCodeOf(Object.assign(new Error('x'), { code: 'storage.blob_not_found' }))).toBe(
      'storage.blob_not_found',
    );
    expect(errorCodeOf(Object.assign(new Error('x'), { code: 'ENOENT' }))).toBe('other');
    expect(errorCodeOf({ code: 'aa/1.2.840.113619/key' })).toBe('other');
    expect(errorCodeOf(undefined)).toBe('other');
  });
});

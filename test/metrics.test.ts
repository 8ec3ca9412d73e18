import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiKeysOf } from '../src/compose-auth.js';
import { loadConfig } from '../src/config/config.js';
import { makeInstance, newUid } from './helpers/make-dicom.js';
import { stow } from './helpers/multipart.js';
import { parsePrometheus, total, type Sample } from './helpers/prometheus.js';
import { startTestServer, testDb, type TestServer } from './helpers/server.js';
import { startTieredServer, stowMany, type TieredServer } from './helpers/hsm.js';

const ADMIN_TOKEN = 'metrics-admin-token-0123456789';
const METRICS_TOKEN = 'metrics-scrape-token-0123456789';

let server: TestServer;
let readerKey: string;

beforeAll(async () => {
  // Anonymous requests may read, write and delete (so the DICOMweb calls need no credentials);
  // /metrics still needs admin or the scrape token.
  server = await startTestServer({
    AUTH_METHODS: 'api-key',
    AUTH_ANONYMOUS: 'all',
    ADMIN_TOKEN,
    METRICS_TOKEN,
  });
  const keys = apiKeysOf(loadConfig(server.env), server.database.db, server.log);
  readerKey = (await keys.create({ name: 'metrics-reader', role: 'reader' })).key;
});
afterAll(() => server?.close());

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

async function scrape(base: TestServer, headers: Record<string, string> = bearer(ADMIN_TOKEN)) {
  const response = await fetch(`${base.url}/metrics`, { headers });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('text/plain');
  const text = await response.text();
  return { text, samples: parsePrometheus(text) };
}

const delta = (
  before: Sample[],
  after: Sample[],
  name: string,
  labels: Record<string, string> = {},
) => total(after, name, labels) - total(before, name, labels);

describe(`#14: GET /metrics (${testDb})`, () => {
  it('needs the admin action or METRICS_TOKEN: 401 without credentials, 403 for a reader', async () => {
    const anonymous = await fetch(`${server.url}/metrics`);
    expect(anonymous.status).toBe(401);
    expect(((await anonymous.json()) as any).code).toBe('auth.unauthenticated');
    const reader = await fetch(`${server.url}/metrics`, { headers: bearer(readerKey) });
    expect(reader.status).toBe(403);
    expect(((await reader.json()) as any).code).toBe('auth.forbidden');
    const wrong = await fetch(`${server.url}/metrics`, { headers: bearer(`${METRICS_TOKEN}x`) });
    expect(wrong.status).toBe(401);
    await wrong.arrayBuffer();
    await scrape(server, bearer(ADMIN_TOKEN));
    await scrape(server, bearer(METRICS_TOKEN));
    // The scrape token opens /metrics only.
    const elsewhere = await fetch(`${server.base}/studies`, { headers: bearer(METRICS_TOKEN) });
    expect(elsewhere.status).toBe(401);
    await elsewhere.arrayBuffer();
    // Refusals are counted under the route they were refused at.
    const { samples } = await scrape(server);
    const refusals = (status: string) =>
      total(samples, 'strata_http_requests_total', { route: '/metrics', method: 'GET', status });
    expect(refusals('401')).toBe(2);
    expect(refusals('403')).toBe(1);
  });

  it('counts STOW, QIDO and WADO by route template, with latency buckets, and no UID or patient value anywhere', async () => {
    const before = (await scrape(server)).samples;
    const study = newUid();
    const series = newUid();
    const patientId = `PID-${newUid().slice(-8)}`;
    const patientName = 'Metrics^Patient^Label';
    const instances = [1, 2, 3].map(() =>
      makeInstance({ studyInstanceUid: study, seriesInstanceUid: series, patientId, patientName }),
    );
    const stored = await stow(
      `${server.base}/studies`,
      instances.map((i) => ({ body: i.bytes })),
    );
    expect(stored.status).toBe(200);
    // One more, refused: not DICOM at all.
    const refused = await stow(`${server.base}/studies`, [{ body: Buffer.from('not dicom') }]);
    expect(refused.status).toBe(409);

    const qido = await fetch(`${server.base}/studies?PatientID=${patientId}`);
    expect(qido.status).toBe(200);
    await qido.arrayBuffer();
    const metadata = await fetch(`${server.base}/studies/${study}/series/${series}/metadata`);
    expect(metadata.status).toBe(200);
    await metadata.arrayBuffer();
    const sop = instances[0]!.sopInstanceUid;
    const wado = await fetch(`${server.base}/studies/${study}/series/${series}/instances/${sop}`);
    expect(wado.status).toBe(200);
    await wado.arrayBuffer();
    const missing = await fetch(`${server.url}/no-such/${study}`);
    expect(missing.status).toBe(404);
    await missing.arrayBuffer();

    const { text, samples: after } = await scrape(server);
    // STOW: three created, one failed with 0xC000-class "cannot understand", bytes exact.
    expect(delta(before, after, 'strata_stow_instances_total', { outcome: 'created' })).toBe(3);
    expect(delta(before, after, 'strata_stow_instances_total', { outcome: 'failed' })).toBe(1);
    const bytes = instances.reduce((n, i) => n + i.bytes.length, 0);
    expect(delta(before, after, 'strata_stow_bytes_total')).toBe(bytes);

    // Requests by route template and status.
    const requests = (route: string, method: string, status: string) =>
      delta(before, after, 'strata_http_requests_total', { route, method, status });
    expect(requests('/dicom-web/studies', 'POST', '200')).toBe(1);
    expect(requests('/dicom-web/studies', 'POST', '409')).toBe(1);
    expect(requests('/dicom-web/studies', 'GET', '200')).toBe(1);
    expect(requests('/dicom-web/studies/:study/series/:series/metadata', 'GET', '200')).toBe(1);
    expect(
      requests('/dicom-web/studies/:study/series/:series/instances/:instance', 'GET', '200'),
    ).toBe(1);
    expect(requests('unmatched', 'GET', '404')).toBe(1);
    // Latency: the full bucket ladder of a route, cumulative up to +Inf = its count.
    const buckets = after.filter(
      (s) =>
        s.name === 'strata_http_request_duration_seconds_bucket' &&
        s.labels['route'] === '/dicom-web/studies' &&
        s.labels['method'] === 'POST' &&
        s.labels['status_class'] === '2xx',
    );
    expect(buckets.map((b) => b.labels['le'])).toContain('0.005');
    expect(buckets.at(-1)?.labels['le']).toBe('+Inf');
    expect(buckets.at(-1)?.value).toBe(
      total(after, 'strata_http_request_duration_seconds_count', {
        route: '/dicom-web/studies',
        method: 'POST',
        status_class: '2xx',
      }),
    );

    // Storage per tier: three puts, at least the retrieve's get.
    const tier = server.store.name;
    const storage = (operation: string) =>
      delta(before, after, 'strata_storage_operation_duration_seconds_count', {
        tier,
        operation,
        outcome: 'ok',
      });
    expect(storage('put')).toBe(3);
    expect(storage('get')).toBeGreaterThanOrEqual(1);

    // Pool, render queue and event loop are published.
    const driver = testDb === 'postgres' ? 'postgres' : 'pglite';
    expect(total(after, 'strata_db_pool_size', { driver })).toBe(driver === 'pglite' ? 1 : 10);
    expect(after.some((s) => s.name === 'strata_db_queries_in_flight')).toBe(true);
    expect(delta(before, after, 'strata_db_query_duration_seconds_count')).toBeGreaterThan(3);
    expect(after.some((s) => s.name === 'strata_render_queue_depth')).toBe(true);
    expect(after.some((s) => s.name === 'nodejs_eventloop_lag_seconds')).toBe(true);

    // No UID or patient value in any label; every route label is a template.
    for (const value of [
      study,
      series,
      patientId,
      'Metrics',
      ...instances.map((i) => i.sopInstanceUid),
    ])
      expect(text).not.toContain(value);
    const routes = new Set(after.map((s) => s.labels['route']).filter((r) => r !== undefined));
    for (const route of routes)
      expect(route).toMatch(/^(unmatched|(\/([a-z-]+|:[a-z]+|\*|openapi\.json))+)$/);
  });
});

describe(`#14: HSM moves and METRICS_PUBLIC (${testDb})`, () => {
  let tiered: TieredServer;
  beforeAll(async () => {
    tiered = await startTieredServer(
      { policies: [{ from: 'hot', to: 'warm', afterDaysSinceStored: 0 }] },
      { ADMIN_TOKEN, METRICS_PUBLIC: 'true' },
    );
  });
  afterAll(() => tiered?.close());

  it('counts the instances a cycle moved, by tiers, and serves /metrics without credentials', async () => {
    const before = (await scrape(tiered, {})).samples;
    const moved = await stowMany(tiered, 2);
    const run = await fetch(`${tiered.url}/admin/hsm/run`, {
      method: 'POST',
      headers: bearer(ADMIN_TOKEN),
    });
    expect(run.status).toBe(200);
    expect(((await run.json()) as any).migrated).toBe(2);
    const after = (await scrape(tiered, {})).samples;
    const labels = { kind: 'policy', from: 'hot', to: 'warm', outcome: 'moved' };
    expect(delta(before, after, 'strata_hsm_moves_total', labels)).toBe(2);
    expect(delta(before, after, 'strata_hsm_moved_bytes_total', { from: 'hot', to: 'warm' })).toBe(
      moved.reduce((n, i) => n + i.bytes.length, 0),
    );
    const puts = (tier: string) =>
      delta(before, after, 'strata_storage_operation_duration_seconds_count', {
        tier,
        operation: 'put',
      });
    expect([puts('hot'), puts('warm')]).toEqual([2, 2]);
  });
});

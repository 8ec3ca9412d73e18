/**
 * #14: outgoing webhooks. A receiver in the test gets signed deliveries (verified with the
 * subscription's secret), fails the first attempts and is retried with back-off; filters keep
 * other changes away; a delivery pending when the server stops arrives after it restarts; and
 * no change is acknowledged twice or lost.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryAuditSink } from '../src/audit/testing/memory-sink.js';
import { startStrata, type Strata } from '../src/compose.js';
import { loadConfig } from '../src/config/config.js';
import { verifyDelivery } from '../src/events/webhook-signature.js';
import { createLogger } from '../src/lib/log.js';
import { makeInstance } from './helpers/make-dicom.js';
import { stow } from './helpers/multipart.js';
import { freshDatabase, testDb } from './helpers/server.js';

const ADMIN_TOKEN = 'webhook-test-admin-token-0123456789';
const SECRET = 'a-webhook-secret-of-some-length';
const admin = { Authorization: `Bearer ${ADMIN_TOKEN}` };

interface Delivery {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  status: number;
}

/** The receiver: answers 500 while `failing` > 0 (counting down), else 204. */
const deliveries: Delivery[] = [];
let failing = 0;
let receiver: Server;
let receiverUrl = '';

let env: Record<string, string>;
let dataDir: string;
let database: Awaited<ReturnType<typeof freshDatabase>>;
let strata: Strata | undefined;
const sink = new MemoryAuditSink();
const base = () => `${strata!.url}/dicom-web`;

async function start(): Promise<void> {
  strata = await startStrata(loadConfig(env), { log: createLogger('silent'), audit: sink });
}

beforeAll(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const status = failing > 0 ? 500 : 204;
      if (failing > 0) failing--;
      deliveries.push({
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        status,
      });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  dataDir = await mkdtemp(join(tmpdir(), 'strata-webhooks-'));
  database = await freshDatabase();
  env = {
    HOST: '127.0.0.1',
    PORT: '0',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    SWEEP_INTERVAL_SECONDS: '0',
    ADMIN_TOKEN,
    EVENTS_POLL_MS: '50',
    WEBHOOK_BACKOFF_MIN_MS: '50',
    WEBHOOK_BACKOFF_MAX_SECONDS: '1',
    ...(database.url ? { DATABASE_URL: database.url } : {}),
  };
  await start();
});
afterAll(async () => {
  await strata?.close();
  await database?.drop();
  await rm(dataDir, { recursive: true, force: true });
  await new Promise((resolve) => receiver?.close(resolve));
});

async function until(test: () => boolean, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`timed out; deliveries: ${deliveries.length}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function subscribe(body: object): Promise<any> {
  const response = await fetch(`${strata!.url}/admin/webhooks`, {
    method: 'POST',
    headers: { ...admin, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(201);
  return response.json();
}

const of = (sop: string, path = '/all') =>
  deliveries.filter((d) => d.path === path && JSON.parse(d.body).SopInstanceUid === sop);

describe(`#14: webhooks (${testDb})`, () => {
  let hook: any;

  it('subscriptions are admin-only, and their changes are audited', async () => {
    const refused = await fetch(`${strata!.url}/admin/webhooks`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ url: `${receiverUrl}/all` }),
    });
    expect(refused.status).toBe(401);
    hook = await subscribe({ url: `${receiverUrl}/all`, secret: SECRET });
    expect(hook.secret).toBe(SECRET);
    const mr = await subscribe({ url: `${receiverUrl}/mr`, modality: 'MR', actions: ['create'] });
    expect(mr.secret).toMatch(/^[\w-]{40,}$/); // generated, shown once
    const list = (await (
      await fetch(`${strata!.url}/admin/webhooks`, { headers: admin })
    ).json()) as any[];
    expect(list.map((h) => h.id)).toEqual([hook.id, mr.id]);
    expect(list.every((h) => !('secret' in h))).toBe(true);
    expect(
      sink.events.filter((e) => e.type === 'security-alert' && e.detail?.['webhook'] === mr.id),
    ).toHaveLength(1);
    for (const bad of [{ url: 'ftp://x' }, { url: `${receiverUrl}/x`, actions: ['read'] }, {}]) {
      const response = await fetch(`${strata!.url}/admin/webhooks`, {
        method: 'POST',
        headers: { ...admin, 'Content-Type': 'application/json' },
        body: JSON.stringify(bad),
      });
      expect(response.status, JSON.stringify(bad)).toBe(400);
    }
  });

  it('signs each delivery, retries a failing receiver, and applies filters', async () => {
    failing = 2;
    const ct = makeInstance({ modality: 'CT' });
    const mr = makeInstance({ modality: 'MR' });
    expect((await stow(`${base()}/studies`, [{ body: ct.bytes }])).status).toBe(200);
    await until(() => of(ct.sopInstanceUid).some((d) => d.status === 204));
    const attempts = of(ct.sopInstanceUid);
    expect(attempts.map((d) => d.status)).toEqual([500, 500, 204]);
    for (const d of attempts) {
      expect(d.headers['content-type']).toBe('application/json');
      expect(d.headers['x-strata-event']).toBe('create');
      expect(
        verifyDelivery(
          SECRET,
          d.headers['x-strata-timestamp'] as string,
          d.body,
          d.headers['x-strata-signature'] as string,
        ),
      ).toBe(true);
      expect(
        verifyDelivery(
          'another-secret-entirely',
          d.headers['x-strata-timestamp'] as string,
          d.body,
          d.headers['x-strata-signature'] as string,
        ),
      ).toBe(false);
    }
    const entry = JSON.parse(attempts[2]!.body);
    expect(entry).toMatchObject({
      Action: 'create',
      StudyInstanceUid: ct.studyInstanceUid,
      SeriesInstanceUid: ct.seriesInstanceUid,
      SopInstanceUid: ct.sopInstanceUid,
    });
    expect(new Set(attempts.map((d) => d.headers['x-strata-delivery']))).toEqual(
      new Set([`${hook.id}/${entry.Sequence}`]),
    );

    expect((await stow(`${base()}/studies`, [{ body: mr.bytes }])).status).toBe(200);
    await until(
      () => of(mr.sopInstanceUid, '/mr').length === 1 && of(mr.sopInstanceUid).length === 1,
    );
    // The MR subscription saw only the MR instance.
    expect(
      deliveries.filter((d) => d.path === '/mr').map((d) => JSON.parse(d.body).SopInstanceUid),
    ).toEqual([mr.sopInstanceUid]);
  });

  it('a delivery pending at shutdown arrives after a restart; nothing acknowledged twice', async () => {
    failing = 1_000_000;
    const pending = makeInstance();
    expect((await stow(`${base()}/studies`, [{ body: pending.bytes }])).status).toBe(200);
    await until(() => of(pending.sopInstanceUid).length >= 1);
    await strata!.close();
    strata = undefined;
    failing = 0;
    await start();
    await until(() => of(pending.sopInstanceUid).some((d) => d.status === 204));

    // After the restart the subscription goes on from its cursor: a change made now arrives too.
    const after = makeInstance();
    expect((await stow(`${base()}/studies`, [{ body: after.bytes }])).status).toBe(200);
    await until(() => of(after.sopInstanceUid).some((d) => d.status === 204));

    const acknowledged = deliveries
      .filter((d) => d.path === '/all' && d.status === 204)
      .map((d) => JSON.parse(d.body).Sequence as number);
    expect(new Set(acknowledged).size).toBe(acknowledged.length);
    expect(acknowledged).toEqual([...acknowledged].sort((a, b) => a - b));
    expect(acknowledged).toHaveLength(4);

    // The cursor commits just after the receiver's answer (PostgreSQL: with the row lock).
    let state: any;
    for (let i = 0; i < 100; i++) {
      const list = (await (
        await fetch(`${strata!.url}/admin/webhooks`, { headers: admin })
      ).json()) as any[];
      state = list.find((h) => h.id === hook.id);
      if (state.deliveredSequence === acknowledged.at(-1)) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(state.deliveredSequence).toBe(acknowledged.at(-1));
    expect(state.failures).toBe(0);
  });

  it('removes a subscription', async () => {
    const url = `${strata!.url}/admin/webhooks/${hook.id}`;
    expect((await fetch(url, { method: 'DELETE', headers: admin })).status).toBe(204);
    expect((await fetch(url, { method: 'DELETE', headers: admin })).status).toBe(404);
  });
});

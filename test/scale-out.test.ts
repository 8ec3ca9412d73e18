/**
 * Scale-out: two Strata processes on one PostgreSQL database and one S3 store (s3rver), as
 * behind a balancer. Both run the HSM (hot bucket → warm bucket, every second) and the sweeper
 * (every second) while instances are stored through one and read through the other. Afterwards
 * nothing is lost (every indexed instance's blob is in the tier its row names, bytes identical)
 * and nothing is duplicated (each SOP instance indexed once, one blob per instance).
 *
 * PostgreSQL only: PGlite is one process's embedded database, so there is nothing to share.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3BlobStore } from '../src/storage/s3-blob-store.js';
import {
  startS3Emulator,
  uniqueBucketName,
  type S3Emulator,
} from '../src/storage/testing/s3-emulator.js';
import { startChildServer, type ChildServer } from './helpers/child-server.js';
import { makeInstance, newUid, type GeneratedInstance } from './helpers/make-dicom.js';
import { stow } from './helpers/multipart.js';
import { freshDatabase, testDb } from './helpers/server.js';
import { get } from './helpers/wado-multipart.js';

const INSTANCES = 50;
const PER_REQUEST = 10;

const run = testDb === 'postgres' ? describe : describe.skip;
if (testDb !== 'postgres') {
  console.warn('[strata] scale-out.test.ts needs PostgreSQL (two processes, one index): skipped');
}

let s3: S3Emulator;
let database: Awaited<ReturnType<typeof freshDatabase>>;
let sql: postgres.Sql;
let workDir: string;
let a: ChildServer;
let b: ChildServer;
const buckets = { hot: uniqueBucketName('hot'), warm: uniqueBucketName('warm') };
let stores: Map<string, S3BlobStore>;

const studyUid = newUid();
const series = [newUid(), newUid()];
const instances: GeneratedInstance[] = Array.from({ length: INSTANCES }, (_, i) =>
  makeInstance({
    studyInstanceUid: i < 40 ? studyUid : undefined,
    seriesInstanceUid: i < 40 ? series[i % 2] : undefined,
    patientId: i < 40 ? 'PID-SCALE' : `PID-SCALE-${i}`,
    pixelBytes: 4096 + i * 64,
  }),
);
const byUid = new Map(instances.map((i) => [i.sopInstanceUid, i]));
const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

async function eventually(what: string, ms: number, check: () => Promise<boolean>) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function keysOf(store: S3BlobStore): Promise<string[]> {
  const keys: string[] = [];
  for await (const key of store.list()) keys.push(key);
  return keys;
}

run('#14: two nodes on one PostgreSQL and one S3 store', () => {
  beforeAll(async () => {
    s3 = await startS3Emulator();
    await Promise.all(Object.values(buckets).map((name) => s3.createBucket(name)));
    database = await freshDatabase();
    sql = postgres(database.url!, { max: 2, onnotice: () => {} });
    workDir = await mkdtemp(join(tmpdir(), 'strata-scale-'));
    const backend = (bucket: string) => ({
      kind: 's3',
      bucket,
      region: s3.region,
      endpoint: s3.endpoint,
      forcePathStyle: true,
      credentials: s3.credentials,
    });
    const config = join(workDir, 'strata.json');
    await writeFile(
      config,
      JSON.stringify({
        tiers: [
          { name: 'hot', backend: backend(buckets.hot) },
          { name: 'warm', backend: backend(buckets.warm) },
        ],
        // Everything moves at once, on both nodes, while the other one is storing and reading.
        policies: [{ from: 'hot', to: 'warm', afterDaysSinceStored: 0, concurrency: 4 }],
        migration: { intervalSeconds: 1, leaseSeconds: 60 },
      }),
    );
    const env = (name: string) => ({
      DATA_DIR: join(workDir, name),
      DATABASE_URL: database.url!,
      STRATA_CONFIG: config,
      SWEEP_INTERVAL_SECONDS: '1',
      SWEEP_DELETE_GRACE_SECONDS: '2',
      // One pseudonym key for the cluster (else each node would make its own in DATA_DIR).
      AUDIT_PSEUDONYM_KEY: 'scale-out-test-pseudonym-key-0123456789',
    });
    // Started together: both migrate the fresh database at once (one waits for the other's lock).
    [a, b] = await Promise.all([startChildServer(env('a')), startChildServer(env('b'))]);
    stores = new Map(
      Object.entries(buckets).map(([tier, bucket]) => [
        tier,
        new S3BlobStore({
          name: tier,
          bucket,
          region: s3.region,
          endpoint: s3.endpoint,
          forcePathStyle: true,
          credentials: s3.credentials,
          maxAttempts: 2,
        }),
      ]),
    );
  }, 240_000);

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await Promise.all([...(stores?.values() ?? [])].map((s) => s.close()));
    await sql?.end();
    await database?.drop();
    await s3?.stop();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  it('#14: STOW to one node (concurrently, duplicates through the other), QIDO and WADO from the other', async () => {
    const batches = Array.from({ length: INSTANCES / PER_REQUEST }, (_, i) =>
      instances.slice(i * PER_REQUEST, (i + 1) * PER_REQUEST),
    );
    const answers = await Promise.all([
      ...batches.map((batch) =>
        stow(
          `${a.base}/studies`,
          batch.map((i) => ({ body: i.bytes })),
        ),
      ),
      // The same first batch through the other node at the same time: a duplicate, not a copy.
      stow(
        `${b.base}/studies`,
        batches[0]!.map((i) => ({ body: i.bytes })),
      ),
    ]);
    for (const answer of answers) expect(answer.status, JSON.stringify(answer.json)).toBe(200);

    const found = await get(`${b.base}/instances?limit=1000`, { Accept: 'application/dicom+json' });
    expect(found.status).toBe(200);
    const uids = (JSON.parse(found.body.toString()) as any[]).map((d) => d['00080018'].Value[0]);
    expect(uids.sort()).toEqual([...byUid.keys()].sort());
    for (const instance of instances) {
      const url = `${b.base}/studies/${instance.studyInstanceUid}/series/${instance.seriesInstanceUid}/instances/${instance.sopInstanceUid}`;
      const wado = await get(url, { Accept: 'application/dicom' });
      expect(wado.status, url).toBe(200);
      expect(sha(wado.body)).toBe(sha(instance.bytes));
    }
  });

  it('#14: both nodes move instances to the warm tier without moving any twice', async () => {
    await eventually('every instance in the warm tier', 60_000, async () => {
      const [row] = await sql<{ n: number }[]>`
        select count(*)::int as n from instances where storage_tier = 'warm'`;
      return row!.n === INSTANCES;
    });
    // Both nodes ran cycles (the shared history names each worker), and together they moved
    // each instance exactly once (a claim is exclusive: FOR UPDATE SKIP LOCKED plus a lease).
    await eventually('cycles recorded by both nodes', 30_000, async () => {
      const workers = await sql<{ worker: string }[]>`select distinct worker from hsm_cycles`;
      return workers.length === 2;
    });
    const [moved] = await sql<{ migrated: number; failed: number }[]>`
      select sum(migrated)::int as migrated, sum(failed)::int as failed from hsm_cycles`;
    expect(moved).toEqual({ migrated: INSTANCES, failed: 0 });
    // Still readable through either node after the move, bytes identical.
    for (const node of [a, b]) {
      const instance = instances[7]!;
      const wado = await get(
        `${node.base}/studies/${instance.studyInstanceUid}/series/${instance.seriesInstanceUid}/instances/${instance.sopInstanceUid}`,
        { Accept: 'application/dicom' },
      );
      expect(wado.status).toBe(200);
      expect(wado.body.equals(instance.bytes)).toBe(true);
    }
  });

  it('#14: a delete on one node is seen by the other', async () => {
    const gone = instances[45]!; // alone in its study
    const url = (node: ChildServer) =>
      `${node.base}/studies/${gone.studyInstanceUid}/series/${gone.seriesInstanceUid}/instances/${gone.sopInstanceUid}`;
    const removed = await fetch(url(a), { method: 'DELETE' });
    expect(removed.status).toBeLessThan(300);
    expect((await get(url(b), { Accept: 'application/dicom' })).status).toBe(404);
    const search = await get(`${b.base}/instances?SOPInstanceUID=${gone.sopInstanceUid}`, {
      Accept: 'application/dicom+json',
    });
    expect(search.status).toBe(204);
    byUid.delete(gone.sopInstanceUid);
  });

  it('#14: a resumable upload lives on the node that created it (the balancer needs affinity)', async () => {
    const origin = (node: ChildServer) => new URL(node.base).origin;
    const created = await fetch(`${origin(a)}/uploads`, {
      method: 'POST',
      headers: { 'Tus-Resumable': '1.0.0', 'Upload-Length': '100' },
    });
    expect(created.status).toBe(201);
    const id = created.headers.get('location')!.split('/').pop()!;
    const head = (node: ChildServer) =>
      fetch(`${origin(node)}/uploads/${id}`, {
        method: 'HEAD',
        headers: { 'Tus-Resumable': '1.0.0' },
      });
    expect((await head(a)).status).toBe(200);
    expect((await head(b)).status).toBe(404);
  });

  it('#14: after sweeps on both nodes nothing is lost or duplicated', async () => {
    const expected = byUid.size;
    // Sources of moves and the deleted blob go after the 2 s grace, by whichever node sweeps.
    await eventually('one blob per indexed instance', 60_000, async () => {
      const counts = await Promise.all([...stores.values()].map((s) => keysOf(s)));
      return counts.flat().length === expected;
    });
    const rows = await sql<{ sop: string; tier: string; key: string; sha256: string }[]>`
      select sop_instance_uid as sop, storage_tier as tier, blob_key as key, sha256
      from instances`;
    expect(rows).toHaveLength(expected);
    expect(new Set(rows.map((r) => r.sop)).size).toBe(expected);
    expect(new Set(rows.map((r) => r.sop))).toEqual(new Set(byUid.keys()));
    for (const row of rows) {
      const store = stores.get(row.tier)!;
      const chunks: Buffer[] = [];
      for await (const chunk of await store.get(row.key)) chunks.push(chunk as Buffer);
      const bytes = Buffer.concat(chunks);
      expect(sha(bytes), row.key).toBe(row.sha256);
      expect(bytes.equals(byUid.get(row.sop)!.bytes)).toBe(true);
    }
    // No write or delete left unfinished in the shared journal.
    const [journal] = await sql<{ n: number }[]>`select count(*)::int as n from blob_journal`;
    expect(journal!.n).toBe(0);
    // Both nodes are still healthy.
    for (const node of [a, b]) {
      expect((await fetch(new URL('/readyz', node.base))).status).toBe(200);
    }
  });
});

import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stow } from './helpers/multipart.js';
import { sampleBytes, samples, samplesAvailable, type Sample } from './helpers/samples.js';
import { startTestServer, testDb, type TestServer } from './helpers/server.js';

/**
 * QIDO-RS over the shared real-world samples (skipped without them): what scanners and
 * toolkits wrote is found by its UIDs, PatientID and modality, with the SOP class they carry.
 */
let server: TestServer;
const stored = samples.filter(
  (s): s is Sample & { study_instance: string; sop_instance: string; series_instance: string } =>
    s.expect === 'store' &&
    s.study_instance !== null &&
    s.sop_instance !== null &&
    s.series_instance !== null,
);
const extra = (file: string) => samples.find((m) => m.file === file)!;

type Ds = Record<string, { vr: string; Value?: unknown[] }>;
async function search(path: string): Promise<Ds[]> {
  const r = await fetch(`${server.base}${path}`);
  expect(r.status, path).toBe(200);
  return (await r.json()) as Ds[];
}
const first = (ds: Ds | undefined, tag: string) => ds?.[tag]?.Value?.[0];

describe.skipIf(!samplesAvailable)(`QIDO-RS over the sample files (${testDb})`, () => {
  beforeAll(async () => {
    server = await startTestServer();
    const unique = new Map(stored.map((s) => [s.sop_instance, s]));
    for (const s of unique.values()) {
      const r = await stow(`${server.base}/studies`, [{ body: sampleBytes(s.file) }]);
      expect([200, 202], s.file).toContain(r.status);
    }
  });
  afterAll(async () => {
    await server?.close();
  });

  it('finds every stored sample instance by its UIDs with its SOP class', async () => {
    for (const s of stored.slice(0, 25)) {
      const found = await search(
        `/studies/${s.study_instance}/series/${s.series_instance}/instances?SOPInstanceUID=${s.sop_instance}`,
      );
      expect(found, s.file).toHaveLength(1);
      expect(first(found[0], '00080016'), s.file).toBe(s.sop_class);
    }
  });

  it('finds the samples studies by PatientID and their modality in ModalitiesInStudy', async () => {
    const s = stored.find((x) => extra(x.file).patient_id && extra(x.file).modality)!;
    const { patient_id: patientId, modality } = extra(s.file);
    const studies = await search(`/studies?PatientID=${encodeURIComponent(patientId!)}`);
    const match = studies.find((ds) => first(ds, '0020000D') === s.study_instance);
    expect(match, s.file).toBeDefined();
    expect(match!['00080061']?.Value, s.file).toContain(modality);
  });

  it('backfills the fuzzy name columns of rows stored before migration 0002', async () => {
    // Simulate a row written before the migration: clear the column, rerun the backfill SQL.
    const migration = readFileSync(new URL('../migrations/0002_qido.sql', import.meta.url), 'utf8');
    const backfill = migration.slice(migration.lastIndexOf('UPDATE "studies"'));
    const run = async (text: string) => {
      if (server.database.raw.driver === 'pglite') await server.database.raw.client.exec(text);
      else await server.database.raw.client.unsafe(text);
    };
    await run(`UPDATE studies SET patient_name = 'Müller^Jürgen', patient_name_fuzzy = NULL`);
    await run(backfill);
    const found = await search('/studies?PatientName=jurgen%20MULL&fuzzymatching=true');
    expect(found.length).toBeGreaterThan(0);
  });
});

import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import dcmjs from 'dcmjs';
import yauzl from 'yauzl';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runStrata } from './helpers/child-server.js';
import { makeInstance, newUid, type GeneratedInstance } from './helpers/make-dicom.js';
import { freshDatabase, testDb } from './helpers/server.js';

/**
 * `strata export` as a user runs it (a child process on a DATA_DIR): files as stored, in a
 * folder or a zip, and de-identified by the PS3.15 Basic Profile.
 */
let work: string;
let database: Awaited<ReturnType<typeof freshDatabase>>;
let env: Record<string, string>;
const study = newUid();
const seriesA = newUid();
const seriesB = newUid();
const frameOfReference = newUid();
const instances: GeneratedInstance[] = [];
const PATIENT_NAME = 'Exportson^Petra';
const PATIENT_ID = 'MRN-EXP-0815';

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'strata-export-'));
  database = await freshDatabase();
  env = {
    DATA_DIR: join(work, 'data'),
    LOG_LEVEL: 'warn',
    SWEEP_INTERVAL_SECONDS: '0',
    ...(database.url ? { DATABASE_URL: database.url } : {}),
  };
  const input = join(work, 'input');
  await mkdir(input);
  for (let i = 0; i < 4; i++) {
    const instance = makeInstance({
      studyInstanceUid: study,
      seriesInstanceUid: i < 3 ? seriesA : seriesB,
      patientName: PATIENT_NAME,
      patientId: PATIENT_ID,
      elements: {
        '00200052': { vr: 'UI', value: frameOfReference },
        '00080080': { vr: 'LO', value: 'Sankt Export Hospital' },
      },
    });
    instances.push(instance);
    await writeFile(join(input, `${i}.dcm`), instance.bytes);
  }
  // Another patient's study, which no export of this one may include.
  await writeFile(join(input, 'other.dcm'), makeInstance({ patientId: 'OTHER-1' }).bytes);
  const run = await runStrata(['import', input], env, { timeoutMs: 120_000 });
  expect(run.code, run.stdout + run.lines.join('\n')).toBe(0);
}, 180_000);
afterAll(async () => {
  await database?.drop();
  await rm(work, { recursive: true, force: true });
});

async function filesUnder(root: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    out.set(relative(root, path), await readFile(path));
  }
  return out;
}

async function zipEntries(file: string): Promise<Map<string, Buffer>> {
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.open(file, { lazyEntries: true }, (e, z) => (e ? reject(e) : resolve(z))),
  );
  const out = new Map<string, Buffer>();
  await new Promise<void>((resolve, reject) => {
    zip.on('entry', (entry: yauzl.Entry) =>
      zip.openReadStream(entry, (error, stream) => {
        if (error) return reject(error);
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('error', reject);
        stream.on('end', () => {
          out.set(entry.fileName, Buffer.concat(chunks));
          zip.readEntry();
        });
      }),
    );
    zip.on('end', resolve);
    zip.on('error', reject);
    zip.readEntry();
  });
  return out;
}

const pathOf = (i: GeneratedInstance) =>
  join(i.studyInstanceUid, i.seriesInstanceUid, `${i.sopInstanceUid}.dcm`);

const read = (bytes: Buffer) =>
  (dcmjs.data.DicomMessage as any).readFile(
    bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
  ).dict;

describe(`strata export (${testDb})`, () => {
  it('#14: exports a study to a folder (Study/Series/SOP.dcm) with the bytes as stored', async () => {
    const to = join(work, 'out-folder');
    const run = await runStrata(['export', study, '--to', to], env);
    expect(run.code, run.stdout + run.lines.join('\n')).toBe(0);
    expect(run.stdout).toMatch(/exported 4 instances of 1 study/);
    const files = await filesUnder(to);
    expect([...files.keys()].sort()).toEqual(instances.map(pathOf).sort());
    for (const instance of instances)
      expect(files.get(pathOf(instance))!.equals(instance.bytes)).toBe(true);
  }, 180000);

  it('#14: exports a study to a zip, a series alone, and what a query matches', async () => {
    const zip = join(work, 'study.zip');
    expect((await runStrata(['export', study, '--to', zip], env)).code).toBe(0);
    const entries = await zipEntries(zip);
    expect(entries.size).toBe(4);
    for (const instance of instances) {
      expect(entries.get(pathOf(instance).split('\\').join('/'))!.equals(instance.bytes)).toBe(
        true,
      );
    }

    const seriesDir = join(work, 'series');
    expect((await runStrata(['export', '--series', seriesB, '--to', seriesDir], env)).code).toBe(0);
    expect([...(await filesUnder(seriesDir)).keys()]).toEqual([pathOf(instances[3]!)]);

    const queryDir = join(work, 'query');
    const query = `PatientID=${PATIENT_ID}&StudyDate=20240101-20240131`;
    expect((await runStrata(['export', '--query', query, '--to', queryDir], env)).code).toBe(0);
    expect((await filesUnder(queryDir)).size).toBe(4);

    const none = await runStrata(['export', newUid(), '--to', join(work, 'none')], env);
    expect(none.code).toBe(1);
    expect(none.lines.join('\n')).toMatch(/no stored study matches/);
  }, 180000);

  it('#14: --deidentify leaves no name, ID or original UID in any file, maps UIDs consistently, shifts dates by N days', async () => {
    const to = join(work, 'deid.zip');
    const run = await runStrata(
      ['export', study, '--to', to, '--deidentify', '--shift-dates', '-40'],
      env,
    );
    expect(run.code, run.stdout + run.lines.join('\n')).toBe(0);
    const entries = await zipEntries(to);
    expect(entries.size).toBe(4);
    const forbidden = [
      PATIENT_NAME,
      PATIENT_ID,
      'Sankt Export Hospital',
      study,
      seriesA,
      seriesB,
      frameOfReference,
      ...instances.map((i) => i.sopInstanceUid),
    ];
    const datasets = [];
    for (const [name, bytes] of entries) {
      for (const value of forbidden) {
        expect(bytes.includes(Buffer.from(value, 'latin1')), `${value} in ${name}`).toBe(false);
        expect(name).not.toContain(value);
      }
      const dict = read(bytes);
      datasets.push(dict);
      const [studyUid, seriesUid, file] = name.split('/');
      expect(dict['0020000D'].Value[0]).toBe(studyUid);
      expect(dict['0020000E'].Value[0]).toBe(seriesUid);
      expect(`${dict['00080018'].Value[0]}.dcm`).toBe(file);
      expect(dict['00120062'].Value).toEqual(['YES']);
      expect(dict['00080020'].Value).toEqual(['20231123']); // 2024-01-02 − 40 days
    }
    // One new study UID, one new series UID per original series, one frame of reference.
    expect(new Set(datasets.map((d) => d['0020000D'].Value[0])).size).toBe(1);
    expect(new Set(datasets.map((d) => d['00200052'].Value[0])).size).toBe(1);
    const seriesOf = datasets.map((d) => d['0020000E'].Value[0]);
    expect(new Set(seriesOf).size).toBe(2);
    // Instance order in the study: series A (3 instances) then B; their series agree.
    const counts = [...new Set(seriesOf)].map((s) => seriesOf.filter((x) => x === s).length).sort();
    expect(counts).toEqual([1, 3]);

    // A second export maps to other UIDs (a fresh salt per export).
    const again = join(work, 'deid-2');
    expect(
      (await runStrata(['export', study, '--to', again, '--deidentify', '--keep-dates'], env)).code,
    ).toBe(0);
    const againFiles = await filesUnder(again);
    const first = [...againFiles.values()][0]!;
    expect(read(first)['0020000D'].Value[0]).not.toBe(datasets[0]['0020000D'].Value[0]);
    expect(read(first)['00080020'].Value).toEqual(['20240102']);
  }, 180000);

  it('#14: every export is in the audit trail as 110106 Export, destination kind without a path', async () => {
    const audit = await runStrata(['audit', 'search', '--event', '110106'], env);
    expect(audit.code, audit.lines.join('\n')).toBe(0);
    const records = audit.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(records.length).toBeGreaterThanOrEqual(6);
    expect(records.every((r) => r.action === 'R' && r.outcome === 0)).toBe(true);
    expect(records.map((r) => r.detail.destination)).toContain('zip');
    expect(records.some((r) => r.detail.deidentified === true)).toBe(true);
    const text = JSON.stringify(records);
    expect(text).not.toContain(work);
    expect(text).not.toContain(PATIENT_ID);
    expect(text).not.toContain(study);
  }, 180000);

  it('checks its arguments (exit 2)', async () => {
    for (const args of [
      ['export', study],
      ['export', '--to', 'x'],
      ['export', study, '--to', 'x', '--keep-dates'],
      ['export', study, '--to', 'x', '--deidentify', '--keep-dates', '--shift-dates', '3'],
    ]) {
      const run = await runStrata(args, env);
      expect(run.code, args.join(' ')).toBe(2);
    }
  }, 180000);
});

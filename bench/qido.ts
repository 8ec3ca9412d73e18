/**
 * QIDO-RS latency on PostgreSQL: creates a database, loads 100,000 instances (2,000 studies × 5
 * series × 10 instances by default) straight into the index (bench/qido-load.ts), starts Strata
 * against it and runs the query mix OHIF and analytics tools send over HTTP, one request at a
 * time, printing p50/p95 per query. Target: p95 < 20 ms for every query.
 *
 *   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
 *     node --import tsx bench/qido.ts [studies=2000] [iterations=200]
 *
 * Sizes: the arguments, or BENCH_STUDIES / BENCH_ITERATIONS, and BENCH_SERIES_PER_STUDY (5) ×
 * BENCH_INSTANCES_PER_SERIES (10) instances per study, so the default 2,000 studies is 100,000
 * instances. A smoke run: `bench/qido.ts 200 20`. The archive-scale target (1,000,000 instances
 * in 50,000 studies): `BENCH_SERIES_PER_STUDY=2 bench/qido.ts 50000 300`.
 * A query that matches nothing answers 204 (PS3.18 8.3.4.4.1) and counts as 0 results.
 * Then EXPLAIN ANALYZE of the study searches in EXPLAINED: the statement the server runs
 * (built by the same repository code), with the scans it uses, to show which indexes serve it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { startStrata } from '../src/compose.js';
import { loadConfig } from '../src/config/config.js';
import { sql as drizzleSql, type SQL } from 'drizzle-orm';
import { openDb, type Db } from '../src/index/db.js';
import { parseQido } from '../src/index/qido/parse.js';
import { searchStudies } from '../src/index/search.repository.js';
import { migrateDb } from '../src/index/migrate.js';
import { loadArchive, MODALITIES, UID_ROOT } from './qido-load.js';

const [
  studiesArg = process.env['BENCH_STUDIES'] ?? '2000',
  iterationsArg = process.env['BENCH_ITERATIONS'] ?? '200',
] = process.argv.slice(2);
const shape = {
  studies: Number(studiesArg),
  seriesPerStudy: Number(process.env['BENCH_SERIES_PER_STUDY'] ?? '5'),
  instancesPerSeries: Number(process.env['BENCH_INSTANCES_PER_SERIES'] ?? '10'),
};
const iterations = Number(iterationsArg);
const adminUrl = process.env['BENCH_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';

const pick = <T>(values: readonly T[], i: number): T => values[i % values.length]!;
const pid = (i: number) =>
  `PID${String(1 + ((i * 7919) % Math.ceil(shape.studies * 0.75))).padStart(6, '0')}`;
const study = (i: number) => `${UID_ROOT}.1.${1 + ((i * 104729) % shape.studies)}`;
const OHIF_INCLUDE = 'includefield=00081030,00080060,00080090,00100030';

/** The mix: [name, path for iteration i]. */
const MIX: [string, (i: number) => string][] = [
  // The floor on this machine at this moment: HTTP round trip with no database work (paths
  // starting with '!' are relative to the server, not the DICOMweb root).
  ['GET /healthz (HTTP floor)', () => '!/healthz'],
  [
    'study list, newest first (OHIF)',
    () => `/studies?limit=101&offset=0&fuzzymatching=false&${OHIF_INCLUDE}`,
  ],
  ['study list, page 10', () => `/studies?limit=101&offset=${101 * 10}`],
  ['PatientID exact', (i) => `/studies?PatientID=${pid(i)}`],
  ['PatientID *contains* (OHIF)', (i) => `/studies?PatientID=*${pid(i).slice(4)}*&limit=101`],
  [
    'PatientName prefix',
    (i) => `/studies?PatientName=${pick(['Smi', 'Gar', 'Mül', 'Lee', 'Wri'], i)}*&limit=101`,
  ],
  [
    'PatientName *contains* (OHIF)',
    (i) => `/studies?PatientName=*${pick(['mit', 'arc', 'ill', 'son'], i)}*&limit=101`,
  ],
  [
    'PatientName fuzzy',
    (i) =>
      `/studies?PatientName=${encodeURIComponent(pick(['john smi', 'jurgen muller', 'zoe', 'mar'], i))}&fuzzymatching=true&limit=101`,
  ],
  [
    'StudyDate range (quarter)',
    (i) => `/studies?StudyDate=${2015 + (i % 10)}0101-${2015 + (i % 10)}0331&limit=101`,
  ],
  [
    'AccessionNumber exact',
    (i) => `/studies?AccessionNumber=ACC${String(1 + ((i * 31) % shape.studies)).padStart(8, '0')}`,
  ],
  ['ModalitiesInStudy', (i) => `/studies?ModalitiesInStudy=${pick(MODALITIES, i)}&limit=101`],
  [
    'OHIF combined filter',
    (i) =>
      `/studies?PatientName=*${pick(['a', 'e', 'o'], i)}*&ModalitiesInStudy=${pick(MODALITIES, i)}&StudyDate=20180101-20221231&limit=101&offset=0&fuzzymatching=false&${OHIF_INCLUDE}`,
  ],
  ['StudyInstanceUID lookup', (i) => `/studies?StudyInstanceUID=${study(i)}`],
  ['SeriesInstanceUID lookup', (i) => `/series?SeriesInstanceUID=${seriesOf(i)}`],
  ['series of a study', (i) => `/studies/${study(i)}/series?includefield=0008103E,00080021`],
  ['instances of a series', (i) => `/studies/${study(i)}/series/${seriesOf(i)}/instances`],
  ['instances of a study', (i) => `/studies/${study(i)}/instances`],
  ['/series?Modality', (i) => `/series?Modality=${pick(MODALITIES, i)}&limit=101`],
  [
    '/instances?SOPInstanceUID',
    (i) =>
      `/instances?SOPInstanceUID=${UID_ROOT}.3.${1 + ((i * 17) % (shape.studies * shape.seriesPerStudy))}.${i % shape.instancesPerSeries}`,
  ],
];

/** Study searches whose plans are printed: the targets of the 1,000,000-instance bench. */
const EXPLAINED = ['PatientID exact', 'PatientName prefix', 'StudyDate range (quarter)'];

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

/** "Index Scan studies_patient_id_idx", … for every scan node of the plan. */
function scansOf(node: PlanNode): string[] {
  const own = /Scan/.test(node['Node Type'])
    ? [`${node['Node Type']} ${node['Index Name'] ?? node['Relation Name'] ?? ''}`.trim()]
    : [];
  return [...own, ...(node.Plans ?? []).flatMap(scansOf)];
}

/** Runs the server's study search with EXPLAIN ANALYZE in front of its statement. */
async function explainStudySearch(db: Db, path: string): Promise<string> {
  const params = new URLSearchParams(path.slice(path.indexOf('?') + 1));
  const query = parseQido({ level: 'study' }, params, { defaultLimit: 100, maxLimit: 1000 });
  const plans: { Plan: PlanNode; 'Execution Time': number }[] = [];
  const explaining = {
    execute: async (statement: SQL) => {
      const result: unknown = await db.execute(
        drizzleSql`EXPLAIN (ANALYZE, FORMAT JSON) ${statement}`,
      );
      const rows = (Array.isArray(result) ? result : (result as { rows: unknown[] }).rows) as {
        'QUERY PLAN': (typeof plans)[number][];
      }[];
      plans.push(...rows[0]!['QUERY PLAN']);
      return [];
    },
  } as unknown as Db;
  await searchStudies(explaining, query, { sopClasses: false });
  const plan = plans[0]!;
  const scans = [...new Set(scansOf(plan.Plan))].join(', ');
  return `${plan['Execution Time'].toFixed(1)} ms in PostgreSQL; ${scans}`;
}

/** Series ids follow study ids in load order: study n has series k(n-1)+1 … kn. */
function seriesOf(i: number): string {
  const n = 1 + ((i * 104729) % shape.studies);
  return `${UID_ROOT}.2.${n}.${i % shape.seriesPerStudy}`;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function main(): Promise<void> {
  const name = `strata_bench_qido_${Date.now().toString(36)}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const dataDir = await mkdtemp(join(tmpdir(), 'strata-bench-qido-'));
  try {
    const database = await openDb({ url: url.toString() });
    await migrateDb(database);
    await database.close();
    const sql = postgres(url.toString(), { max: 1, onnotice: () => {} });
    const t0 = performance.now();
    await loadArchive(sql, shape);
    const [counts] = await sql`SELECT (SELECT count(*) FROM studies)::int AS studies,
      (SELECT count(*) FROM series)::int AS series, (SELECT count(*) FROM instances)::int AS instances`;
    await sql.end();
    console.log(
      `loaded ${counts!['studies']} studies, ${counts!['series']} series, ${counts!['instances']} instances in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );

    const strata = await startStrata(
      loadConfig({
        DATABASE_URL: url.toString(),
        DATA_DIR: dataDir,
        PORT: '0',
        LOG_LEVEL: 'warn',
        SWEEP_INTERVAL_SECONDS: '0',
        // Benches measure the server, not its per-client rate limit.
        RATE_LIMIT_EXPENSIVE_PER_MINUTE: '0',
      }),
    );
    const base = `${strata.url}/dicom-web`;
    const urlOf = (path: string) =>
      path.startsWith('!') ? strata.url + path.slice(1) : base + path;
    try {
      console.log(
        `query (n=${iterations} each, sequential)`.padEnd(36) + 'p50 ms   p95 ms   results',
      );
      for (const [label, path] of MIX) {
        for (let i = 0; i < 20; i++) await (await fetch(urlOf(path(i + 1000)))).text();
        const times: number[] = [];
        let results = 0;
        for (let i = 0; i < iterations; i++) {
          const started = performance.now();
          const response = await fetch(urlOf(path(i)));
          const body = await response.text();
          times.push(performance.now() - started);
          if (response.status === 204) continue;
          if (response.status !== 200) throw new Error(`${label}: HTTP ${response.status} ${body}`);
          const parsed = JSON.parse(body) as unknown;
          results += Array.isArray(parsed) ? parsed.length : 0;
        }
        times.sort((a, b) => a - b);
        console.log(
          label.padEnd(36) +
            percentile(times, 50).toFixed(1).padStart(6) +
            percentile(times, 95).toFixed(1).padStart(9) +
            (results / iterations).toFixed(1).padStart(10),
        );
      }
      // Other work on the machine inflates every figure: say how busy it was.
      console.log(`load average (1 min) at the end: ${loadavg()[0]!.toFixed(1)}`);
      const explain = await openDb({ url: url.toString() });
      try {
        for (const [label, path] of MIX.filter(([label]) => EXPLAINED.includes(label))) {
          console.log(`EXPLAIN ${label}: ${await explainStudySearch(explain.db, path(0))}`);
        }
      } finally {
        await explain.close();
      }
    } finally {
      await strata.close();
    }
  } finally {
    // BENCH_KEEP_DB=1 leaves the database for EXPLAIN ANALYZE sessions.
    if (process.env['BENCH_KEEP_DB'] === '1') console.log(`kept database ${name}`);
    else await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end();
    await rm(dataDir, { recursive: true, force: true });
  }
}

await main();

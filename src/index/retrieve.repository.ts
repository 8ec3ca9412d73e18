/**
 * Index reads of WADO-RS (PS3.18 10.4): the instances in a study/series/instance scope, in
 * presentation order, and the throttled `last_accessed_at` touch the HSM recall policy reads.
 */
import { and, asc, eq, inArray, sql, type SQL } from 'drizzle-orm';
import type { DicomJsonDataset } from '../dicom/json/types.js';
import type { BulkDataRef, PixelDataLayout } from '../dicom/part10/layout.js';
import type { Db } from './db.js';
import { patientScopeClause } from './patient-scope.js';
import { rowsOf } from './rows.js';
import { DEFAULT_PARTITION, instances, series, studies } from './schema.js';

export interface RetrieveScope {
  study: string;
  series?: string | undefined;
  instance?: string | undefined;
  /** Only these patients' studies (index/patient-scope.ts); undefined = every patient's. */
  patientIds?: readonly string[] | undefined;
}

/** Everything of an instance row but its DICOM JSON. */
export interface InstanceRow {
  /** Index row id (never shown to clients). */
  id: number;
  /** PatientID of the study's patient ('' when it has none): whom a retrieve is about. */
  patientId: string;
  studyInstanceUid: string;
  seriesInstanceUid: string;
  sopInstanceUid: string;
  sopClassUid: string;
  transferSyntaxUid: string;
  instanceNumber: number | null;
  numberOfFrames: number | null;
  rows: number | null;
  columns: number | null;
  bitsAllocated: number | null;
  blobKey: string;
  /** Name of the store (tier) that holds the blob. */
  storageTier: string;
  size: number;
  /** SHA-256 of the stored bytes, hex. */
  sha256: string;
  version: number;
  /** File offset where the dataset (after the File Meta group) starts. */
  datasetOffset: number;
  /** PS3.5 §A.5: the dataset is deflated; offsets then count inflated bytes from `datasetOffset`. */
  deflated: boolean;
  /** Top-level pixel data as recorded at ingest (src/dicom/part10/layout.ts). */
  pixelData: PixelDataLayout | null;
  bulkData: BulkDataRef[];
}

const rowColumns = {
  id: instances.id,
  patientId: sql<string>`coalesce(${studies.patientId}, '')`,
  studyInstanceUid: studies.studyInstanceUid,
  seriesInstanceUid: series.seriesInstanceUid,
  sopInstanceUid: instances.sopInstanceUid,
  sopClassUid: instances.sopClassUid,
  transferSyntaxUid: instances.transferSyntaxUid,
  instanceNumber: instances.instanceNumber,
  numberOfFrames: instances.numberOfFrames,
  rows: instances.rows,
  columns: instances.columns,
  bitsAllocated: instances.bitsAllocated,
  blobKey: instances.blobKey,
  storageTier: instances.storageTier,
  size: instances.size,
  sha256: instances.sha256,
  version: instances.version,
  datasetOffset: instances.datasetOffset,
  deflated: instances.deflated,
  pixelData: sql<PixelDataLayout | null>`${instances.pixelData}`,
  bulkData: sql<BulkDataRef[]>`${instances.bulkData}`,
};

/**
 * Columns of rowColumns as `expression AS "key"`, for statements run with `db.execute`: the
 * drivers hand back objects keyed by column name, so the rows skip drizzle's per-row mapping
 * (measurable for a series of 1,000 instances: bench/RESULTS.md, series metadata).
 */
function columnList(keys: readonly (keyof typeof rowColumns)[]): SQL {
  return sql.join(
    keys.map((key) => sql`${rowColumns[key]} AS ${sql.identifier(key)}`),
    sql`, `,
  );
}

const allColumns = columnList(Object.keys(rowColumns) as (keyof typeof rowColumns)[]);

/** What a metadata response needs of an instance: whom and what it is about, and its version. */
export type MetadataRow = Pick<
  InstanceRow,
  | 'id'
  | 'patientId'
  | 'studyInstanceUid'
  | 'seriesInstanceUid'
  | 'sopInstanceUid'
  | 'version'
  | 'sha256'
>;

const metadataColumns = columnList([
  'id',
  'patientId',
  'studyInstanceUid',
  'seriesInstanceUid',
  'sopInstanceUid',
  'version',
  'sha256',
]);

function scopeWhere(scope: RetrieveScope, partitionKey: string): SQL | undefined {
  return and(
    eq(studies.partitionKey, partitionKey),
    eq(studies.studyInstanceUid, scope.study),
    scope.series === undefined ? undefined : eq(series.seriesInstanceUid, scope.series),
    scope.instance === undefined ? undefined : eq(instances.sopInstanceUid, scope.instance),
    patientScopeClause(scope.patientIds),
  );
}

/** Presentation order: series number, series, instance number, instance (nulls last). */
const ORDER = [
  sql`${series.seriesNumber} asc nulls last`,
  asc(series.seriesInstanceUid),
  sql`${instances.instanceNumber} asc nulls last`,
  asc(instances.sopInstanceUid),
];

/** The rows in scope, in presentation order, with `metadata` as the given expression. */
async function selectInScope(
  db: Db,
  scope: RetrieveScope,
  partitionKey: string,
  metadata: SQL<DicomJsonDataset>,
): Promise<(InstanceRow & { metadata: DicomJsonDataset })[]> {
  const rows = await db
    .select({ ...rowColumns, metadata })
    .from(instances)
    .innerJoin(series, eq(series.id, instances.seriesFk))
    .innerJoin(studies, eq(studies.id, instances.studyFk))
    .where(scopeWhere(scope, partitionKey))
    .orderBy(...ORDER);
  return rows.map((row) => ({ ...normalise(row), metadata: row.metadata }));
}

/**
 * The instances in scope without their DICOM JSON (instance retrieve and frames need only the
 * layout; a study of thousands of instances stays small in memory). Uses studies_uid_uq,
 * series_study_idx and instances_series_idx.
 */
export async function findInstanceRows(
  db: Db,
  scope: RetrieveScope,
  partitionKey = DEFAULT_PARTITION,
): Promise<InstanceRow[]> {
  const rows = await selectColumnsInScope<InstanceRow>(db, scope, partitionKey, allColumns);
  return rows.map(normalise);
}

/**
 * The instances in scope with only what a metadata response needs, in presentation order: a
 * series of 1,000 instances need not parse 1,000 pixel data layouts to be described.
 */
export async function findMetadataRows(
  db: Db,
  scope: RetrieveScope,
  partitionKey = DEFAULT_PARTITION,
): Promise<MetadataRow[]> {
  const rows = await selectColumnsInScope<MetadataRow>(db, scope, partitionKey, metadataColumns);
  for (const row of rows) row.id = Number(row.id);
  return rows;
}

async function selectColumnsInScope<T>(
  db: Db,
  scope: RetrieveScope,
  partitionKey: string,
  columns: SQL,
): Promise<T[]> {
  return rowsOf<T>(
    await db.execute(
      sql`SELECT ${columns} FROM ${instances}
        JOIN ${series} ON ${series.id} = ${instances.seriesFk}
        JOIN ${studies} ON ${studies.id} = ${instances.studyFk}
        WHERE ${scopeWhere(scope, partitionKey)}
        ORDER BY ${sql.join(ORDER, sql`, `)}`,
    ),
  );
}

/**
 * The instances in scope WITH their DICOM JSON, in one query: for single-instance requests
 * (frames, bulk data, rendered), where a second round trip would dominate the latency.
 */
export async function findInstancesWithMetadata(
  db: Db,
  scope: RetrieveScope,
  partitionKey = DEFAULT_PARTITION,
): Promise<(InstanceRow & { metadata: DicomJsonDataset })[]> {
  return selectInScope(db, scope, partitionKey, sql<DicomJsonDataset>`${instances.metadata}`);
}

/**
 * Like findInstancesWithMetadata, but the DICOM JSON holds only the top-level elements named in
 * `tags` (absent ones left out): frame retrieval needs the Image Pixel module, not the per-frame
 * functional groups that make an enhanced multi-frame object's metadata megabytes long.
 */
export async function findInstancesWithElements(
  db: Db,
  scope: RetrieveScope,
  tags: readonly string[],
  partitionKey = DEFAULT_PARTITION,
): Promise<(InstanceRow & { metadata: DicomJsonDataset })[]> {
  const pairs = sql.join(
    tags.map((tag) => sql`${tag}::text, ${instances.metadata} -> ${tag}::text`),
    sql`, `,
  );
  // jsonb_strip_nulls drops the keys of absent elements (-> gives SQL NULL for them).
  const metadata = sql<DicomJsonDataset>`jsonb_strip_nulls(jsonb_build_object(${pairs}))`;
  return selectInScope(db, scope, partitionKey, metadata);
}

/**
 * The DICOM JSON of the given ids as PostgreSQL's jsonb text, by id. jsonb keeps object keys
 * sorted (by length, then bytes), so tags — all 8 characters — come out in ascending order, as
 * PS3.18 F.2 asks, and "vr" precedes the value field: the text is served without a JSON
 * parse/stringify round trip (the metadata hot path, bench/wado.ts).
 */
export async function findMetadataText(
  db: Db,
  ids: readonly number[],
): Promise<Map<number, string>> {
  if (ids.length === 0) return new Map();
  // One array parameter, not one per id: building, sending and parsing 250 parameters cost
  // more than the statement's own work.
  const rows = rowsOf<{ id: number | string; text: string }>(
    await db.execute(
      sql`SELECT ${instances.id} AS id, ${instances.metadata}::text AS text FROM ${instances}
        WHERE ${instances.id} = ANY(${idArray(ids)}::bigint[])`,
    ),
  );
  return new Map(rows.map((r) => [Number(r.id), r.text]));
}

/** Ids as one PostgreSQL array literal (`{1,2,3}`): they are integers, nothing to quote. */
function idArray(ids: readonly number[]): string {
  return `{${ids.map((id) => Math.trunc(id)).join(',')}}`;
}

/** The DICOM JSON of the given instance ids, by id (one query per batch of metadata). */
export async function findMetadata(
  db: Db,
  ids: readonly number[],
): Promise<Map<number, DicomJsonDataset>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .select({ id: instances.id, metadata: instances.metadata })
    .from(instances)
    .where(inArray(instances.id, [...ids]));
  return new Map(rows.map((r) => [Number(r.id), r.metadata as DicomJsonDataset]));
}

/** Sets `last_accessed_at = now()` for the given ids in one statement. */
export async function touchInstances(db: Db, ids: readonly number[]): Promise<void> {
  if (ids.length === 0) return;
  await db
    .update(instances)
    .set({ lastAccessedAt: sql`now()` })
    .where(inArray(instances.id, [...ids]));
}

/** jsonb columns and bigints come back as the driver likes; give them one shape. */
function normalise(row: InstanceRow): InstanceRow {
  return {
    ...row,
    id: Number(row.id),
    size: Number(row.size),
    bulkData: row.bulkData ?? [],
    pixelData: row.pixelData ?? null,
  };
}

/**
 * The keys of a DIMSE retrieve identifier (C-MOVE, C-GET; PS3.4 C.4.2.2.1): a patient and UID
 * lists per level (C.2.2.2.2 List of UID Matching). Every key given must match; none given
 * matches nothing (a retrieve names what it wants).
 */
export interface RetrieveKeys {
  patientId?: string | undefined;
  studies?: readonly string[] | undefined;
  series?: readonly string[] | undefined;
  instances?: readonly string[] | undefined;
  patientIds?: readonly string[] | undefined;
}

/** The instances a retrieve identifier names, in presentation order. */
export async function findInstanceRowsByKeys(
  db: Db,
  keys: RetrieveKeys,
  partitionKey = DEFAULT_PARTITION,
): Promise<InstanceRow[]> {
  const some = (list: readonly string[] | undefined) => list !== undefined && list.length > 0;
  if (
    keys.patientId === undefined &&
    !some(keys.studies) &&
    !some(keys.series) &&
    !some(keys.instances)
  )
    return [];
  const rows = await db
    .select(rowColumns)
    .from(instances)
    .innerJoin(series, eq(series.id, instances.seriesFk))
    .innerJoin(studies, eq(studies.id, instances.studyFk))
    .where(
      and(
        eq(studies.partitionKey, partitionKey),
        keys.patientId === undefined ? undefined : eq(studies.patientId, keys.patientId),
        some(keys.studies) ? inArray(studies.studyInstanceUid, [...keys.studies!]) : undefined,
        some(keys.series) ? inArray(series.seriesInstanceUid, [...keys.series!]) : undefined,
        some(keys.instances) ? inArray(instances.sopInstanceUid, [...keys.instances!]) : undefined,
        patientScopeClause(keys.patientIds),
      ),
    )
    .orderBy(...ORDER);
  return rows.map(normalise);
}

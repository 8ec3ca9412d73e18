import { sql, type SQL } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import type { DicomJsonDataset } from '../dicom/json/types.js';
import type { Db } from './db.js';
import { compileWhere } from './qido/compile.js';
import type { QidoQuery } from './qido/parse.js';
import { instances, series, studies } from './schema.js';

/**
 * QIDO-RS from the index alone (no blob is read): one page of matches per call, in a stable
 * order that ends in a unique key (PS3.18 8.3.4.4.1: the same ordered list while the data is
 * unchanged). Computed attributes (counts, ModalitiesInStudy, SOPClassesInStudy) are evaluated
 * only for the rows of the page: the page is chosen in an inner query, the outer one computes.
 */

export interface StudyMatch {
  studyInstanceUid: string;
  attributes: DicomJsonDataset;
  seriesCount: number;
  instanceCount: number;
  modalities: string[] | null;
  sopClasses: string[] | null;
}

export interface SeriesMatch {
  studyInstanceUid: string;
  seriesInstanceUid: string;
  attributes: DicomJsonDataset;
  studyAttributes: DicomJsonDataset | null;
  instanceCount: number;
}

export interface InstanceMatch {
  studyInstanceUid: string;
  seriesInstanceUid: string;
  sopInstanceUid: string;
  sopClassUid: string;
  instanceNumber: number | null;
  rows: number | null;
  columns: number | null;
  bitsAllocated: number | null;
  numberOfFrames: number | null;
  metadata: DicomJsonDataset | null;
  seriesAttributes: DicomJsonDataset | null;
  studyAttributes: DicomJsonDataset | null;
}

export interface Page<T> {
  rows: T[];
  /** More matches exist after this page. */
  more: boolean;
}

/** How many further matches are counted for the Warning before we say "at least". */
export const REMAINING_COUNT_CAP = 10_000;

async function rowsOf<T>(db: Db, query: SQL): Promise<T[]> {
  // postgres.js answers an array of rows, PGlite an object with `rows`.
  const result: unknown = await db.execute(query);
  return Array.isArray(result) ? (result as T[]) : (result as { rows: T[] }).rows;
}

/** One extra row tells whether more remain without counting them all. */
function pageOf<T>(rows: T[], limit: number): Page<T> {
  return { rows: rows.slice(0, limit), more: rows.length > limit };
}

export async function searchStudies(
  db: Db,
  query: QidoQuery,
  options: { sopClasses: boolean },
): Promise<Page<StudyMatch>> {
  const where = compileWhere(query);
  // studies_date_idx serves this order: newest first, the id last makes it total.
  const sopClasses = options.sopClasses
    ? sql`(SELECT jsonb_agg(DISTINCT i.sop_class_uid ORDER BY i.sop_class_uid) FROM ${instances} AS i WHERE i.study_fk = p.id)`
    : sql`NULL::jsonb`;
  const rows = await rowsOf<StudyMatch>(
    db,
    sql`SELECT st.study_instance_uid AS "studyInstanceUid", st.attributes,
      (SELECT count(*)::int FROM ${series} AS s WHERE s.study_fk = p.id) AS "seriesCount",
      (SELECT count(*)::int FROM ${instances} AS i WHERE i.study_fk = p.id) AS "instanceCount",
      (SELECT jsonb_agg(DISTINCT s.modality ORDER BY s.modality) FROM ${series} AS s
        WHERE s.study_fk = p.id AND s.modality IS NOT NULL AND s.modality <> '') AS modalities,
      ${sopClasses} AS "sopClasses"
    FROM (
      SELECT ${studies.id} AS id, ${studies.studyDate} AS study_date,
        ${studies.studyTime} AS study_time
      FROM ${studies}
      WHERE ${where}
      ORDER BY ${studies.studyDate} DESC NULLS LAST, ${studies.studyTime} DESC NULLS LAST,
        ${studies.id} DESC NULLS LAST
      LIMIT ${query.limit + 1} OFFSET ${query.offset}
    ) AS p
    -- The page is chosen on (date, time, id) alone — an index-only scan of studies_date_idx when
    -- nothing else filters — and only its rows are read whole.
    JOIN ${studies} AS st ON st.id = p.id
    ORDER BY p.study_date DESC NULLS LAST, p.study_time DESC NULLS LAST, p.id DESC NULLS LAST`,
  );
  return pageOf(rows, query.limit);
}

export async function searchSeries(
  db: Db,
  query: QidoQuery,
  options: { studyAttributes: boolean },
): Promise<Page<SeriesMatch>> {
  const where = compileWhere(query);
  // Within a study: by SeriesNumber (series_study_idx); across the archive: newest stored first.
  const scoped = query.resource.studyInstanceUid !== undefined;
  const inner = scoped
    ? sql`${series.seriesNumber} ASC NULLS LAST, ${series.id} ASC`
    : sql`${series.id} DESC`;
  const outer = scoped ? sql`p.series_number ASC NULLS LAST, p.id ASC` : sql`p.id DESC`;
  const studyAttributes = options.studyAttributes ? studies.attributes : sql`NULL::jsonb`;
  const rows = await rowsOf<SeriesMatch>(
    db,
    sql`SELECT p.study_instance_uid AS "studyInstanceUid", p.series_instance_uid AS "seriesInstanceUid",
      p.attributes, p.study_attributes AS "studyAttributes",
      (SELECT count(*)::int FROM ${instances} AS i WHERE i.series_fk = p.id) AS "instanceCount"
    FROM (
      SELECT ${series.id} AS id, ${series.seriesInstanceUid} AS series_instance_uid,
        ${series.seriesNumber} AS series_number, ${series.attributes} AS attributes,
        ${studies.studyInstanceUid} AS study_instance_uid, ${studyAttributes} AS study_attributes
      FROM ${series} JOIN ${studies} ON ${studies.id} = ${series.studyFk}
      WHERE ${where}
      ORDER BY ${inner}
      LIMIT ${query.limit + 1} OFFSET ${query.offset}
    ) AS p
    ORDER BY ${outer}`,
  );
  return pageOf(rows, query.limit);
}

export async function searchInstances(
  db: Db,
  query: QidoQuery,
  options: { metadata: boolean; seriesAttributes: boolean; studyAttributes: boolean },
): Promise<Page<InstanceMatch>> {
  const where = compileWhere(query);
  const { studyInstanceUid, seriesInstanceUid } = query.resource;
  // In a series: by InstanceNumber (instances_series_idx); in a study: series by series;
  // across the archive: newest stored first.
  const order =
    seriesInstanceUid !== undefined
      ? sql`${instances.instanceNumber} ASC NULLS LAST, ${instances.id} ASC`
      : studyInstanceUid !== undefined
        ? sql`${instances.seriesFk} ASC, ${instances.instanceNumber} ASC NULLS LAST, ${instances.id} ASC`
        : sql`${instances.id} DESC`;
  const optional = (include: boolean, column: AnyPgColumn) => (include ? column : sql`NULL::jsonb`);
  const rows = await rowsOf<InstanceMatch>(
    db,
    sql`SELECT ${studies.studyInstanceUid} AS "studyInstanceUid",
      ${series.seriesInstanceUid} AS "seriesInstanceUid",
      ${instances.sopInstanceUid} AS "sopInstanceUid", ${instances.sopClassUid} AS "sopClassUid",
      ${instances.instanceNumber} AS "instanceNumber", ${instances.rows} AS rows,
      ${instances.columns} AS columns, ${instances.bitsAllocated} AS "bitsAllocated",
      ${instances.numberOfFrames} AS "numberOfFrames",
      ${optional(options.metadata, instances.metadata)} AS metadata,
      ${optional(options.seriesAttributes, series.attributes)} AS "seriesAttributes",
      ${optional(options.studyAttributes, studies.attributes)} AS "studyAttributes"
    FROM ${instances}
      JOIN ${series} ON ${series.id} = ${instances.seriesFk}
      JOIN ${studies} ON ${studies.id} = ${instances.studyFk}
    WHERE ${where}
    ORDER BY ${order}
    LIMIT ${query.limit + 1} OFFSET ${query.offset}`,
  );
  return pageOf(rows, query.limit);
}

/**
 * How many matches remain after this page, counted up to REMAINING_COUNT_CAP (a broad query
 * must not scan the archive just to word its Warning). Only called when a page is full.
 */
export async function countRemaining(db: Db, query: QidoQuery): Promise<number> {
  const where = compileWhere(query);
  const from =
    query.resource.level === 'study'
      ? sql`${studies}`
      : query.resource.level === 'series'
        ? sql`${series} JOIN ${studies} ON ${studies.id} = ${series.studyFk}`
        : sql`${instances} JOIN ${series} ON ${series.id} = ${instances.seriesFk} JOIN ${studies} ON ${studies.id} = ${instances.studyFk}`;
  const seen = query.offset + query.limit;
  const [row] = await rowsOf<{ n: number }>(
    db,
    sql`SELECT count(*)::int AS n FROM (SELECT 1 FROM ${from} WHERE ${where} LIMIT ${seen + REMAINING_COUNT_CAP}) AS t`,
  );
  return Math.max(0, (row?.n ?? 0) - seen);
}

import type { DicomJsonDataset } from '../dicom/json/types.js';
import type { Db } from '../index/db.js';
import { levelOfTag } from '../index/qido/attributes.js';
import { parseQido, type QidoResource } from '../index/qido/parse.js';
import {
  countRemaining,
  REMAINING_COUNT_CAP,
  searchInstances,
  searchSeries,
  searchStudies,
} from '../index/search.repository.js';
import { instanceResult, seriesResult, studyResult, type ResultOptions } from './search-results.js';
import { assertUid } from './uid-params.js';
import type { AuditSink } from '../audit/event.js';
import type { Actor } from './actor.js';
import { eventOf, recordAll } from './audit-records.js';

export interface SearchOptions {
  /** Results per page when the request names no limit. */
  defaultLimit: number;
  /**
   * maxResults of PS3.18 8.3.4.4.1: the most matches one response holds. A larger limit is
   * reduced to it, and the paging Warning tells the client how many remain.
   */
  maxLimit: number;
}

export interface SearchRequest {
  resource: QidoResource;
  params: Iterable<[string, string]>;
  /** Absolute Studies Service root the client sees (web/base-url.ts), for RetrieveURL. */
  retrieveBase: string;
  /** Who searches: only their patients' studies match, and the query is recorded. */
  actor: Actor;
  /** The query string as received, for the audit record; default: `params` re-encoded. */
  queryString?: string | undefined;
}

export interface SearchResult {
  /** The matches of this page, as DICOM JSON datasets (PS3.18 F.2). */
  datasets: DicomJsonDataset[];
  /** Matches after this page (counted up to `remainingCapped`), 0 when none. */
  remaining: number;
  /** True when `remaining` is a lower bound. */
  remainingCapped: boolean;
  /** The offset that fetches the next page. */
  nextOffset: number;
  /** Warning texts (PS3.18 8.3.4) beyond the paging one. */
  warnings: string[];
}

/**
 * QIDO-RS (PS3.18 10.6): the six search resources, answered from the index alone.
 */
export class SearchService {
  constructor(private readonly deps: { db: Db; options: SearchOptions; audit: AuditSink }) {}

  async search(request: SearchRequest): Promise<SearchResult> {
    const { resource } = request;
    if (resource.studyInstanceUid !== undefined)
      assertUid(resource.studyInstanceUid, 'StudyInstanceUID');
    if (resource.seriesInstanceUid !== undefined) {
      assertUid(resource.seriesInstanceUid, 'SeriesInstanceUID');
    }
    const params = [...request.params];
    const query = {
      ...parseQido(resource, params, this.deps.options),
      patientIds: request.actor.patientIds,
    };
    const options: ResultOptions = {
      all: query.include.all,
      tags: new Set(query.include.tags),
      retrieveBase: request.retrieveBase,
    };
    const { db } = this.deps;
    // Counted alongside the page (another pooled connection) rather than after it: a full page,
    // the common case of a study list, then costs one round trip, not two. Used only if the page
    // turns out full; a failure of this side query alone must not fail the search.
    const remainingCount = countRemaining(db, query).catch(() => 0);
    let datasets: DicomJsonDataset[];
    let more: boolean;
    switch (resource.level) {
      case 'study': {
        const sopClasses = options.all || options.tags.has('00080062');
        const page = await searchStudies(db, query, { sopClasses });
        datasets = page.rows.map((row) => studyResult(row, options));
        more = page.more;
        break;
      }
      case 'series': {
        // /series (all series) also returns the study attributes (PS3.18 10.6.3.3.2).
        // Within one study, only study attributes includefield or a match key names.
        const withStudy = resource.studyInstanceUid === undefined;
        const studyTag = (tag: string) => levelOfTag(tag) === 'study';
        const page = await searchSeries(db, query, {
          studyAttributes: withStudy || [...options.tags].some(studyTag),
        });
        datasets = page.rows.map((row) =>
          seriesResult(row, options, studyTag, { studyDefaults: withStudy }),
        );
        more = page.more;
        break;
      }
      case 'instance': {
        // /instances and /studies/{s}/instances also return study and series attributes
        // (PS3.18 10.6.3.3.3); metadata is read only when an instance-level attribute beyond the
        // indexed columns is asked for.
        const inSeries = resource.seriesInstanceUid !== undefined;
        // Within one series only the instance attributes are returned, plus any higher-level
        // attribute includefield or a match key names.
        const asks = (level: 'study' | 'series') =>
          [...options.tags].some((t) => levelOfTag(t) === level);
        const metadata =
          options.all ||
          [...options.tags].some((t) => levelOfTag(t) === 'instance' && !INSTANCE_COLUMNS.has(t));
        const page = await searchInstances(db, query, {
          metadata,
          seriesAttributes: !inSeries || asks('series'),
          studyAttributes: !inSeries || asks('study'),
        });
        datasets = page.rows.map((row) =>
          instanceResult(row, options, levelOfTag, { parentDefaults: !inSeries }),
        );
        more = page.more;
        break;
      }
    }
    const remaining = more ? await remainingCount : 0;
    // 110112 Query (PS3.15 A.5.3.10), before the answer is sent. The trail pseudonymises the
    // values of patient attributes in the query string.
    await recordAll(this.deps.audit, [
      {
        ...eventOf(request.actor, 'query', 'E', 0),
        query: request.queryString ?? new URLSearchParams(params).toString(),
        detail: { level: resource.level, results: datasets.length },
      },
    ]);
    return {
      datasets,
      remaining,
      remainingCapped: remaining >= REMAINING_COUNT_CAP,
      nextOffset: query.offset + datasets.length,
      warnings: query.warnings,
    };
  }
}

/** Instance attributes the index has as columns (returned without reading metadata). */
const INSTANCE_COLUMNS = new Set([
  '00080016',
  '00080018',
  '00081190',
  '00200013',
  '00280010',
  '00280011',
  '00280100',
  '00280008',
]);

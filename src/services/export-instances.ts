/**
 * `strata export`: the stored instances of a study, a series or the studies a query matches,
 * read as stored, and the 110106 Export record (PS3.15 A.5.3.5), one per patient, written
 * before any of their bytes is read: an export the trail cannot record does not happen, as for
 * WADO-RS (services/audit-records.ts RetrieveAudit).
 */
import type { Readable } from 'node:stream';
import type { AuditSink } from '../audit/event.js';
import { deidentifyPart10, type DeidentifyOptions } from '../dicom/deidentify/deidentify.js';
import { getString } from '../dicom/json/dicom-json.js';
import type { InstanceRow } from '../index/retrieve.repository.js';
import type { BlobStore } from '../storage/blob-store.js';
import { scopedTo, type Actor } from './actor.js';
import { byPatient, eventOf, recordAll } from './audit-records.js';
import { ResourceNotFoundError } from './errors.js';
import { storeOf } from './frame-source.js';
import type { InstanceLookup } from './instance-lookup.js';
import type { SearchService } from './search.js';

/** What to export: one of a study, a series, or a QIDO study query (`PatientID=X&StudyDate=…`). */
export type ExportSelection = { study: string } | { series: string } | { query: string };

export interface ExportInstancesDeps {
  lookup: InstanceLookup;
  search: SearchService;
  stores: ReadonlyMap<string, BlobStore>;
  audit: AuditSink;
}

/** Studies a query may select in one export; beyond it the query is refused as too broad. */
const MAX_STUDIES = 10_000;

export class ExportInstances {
  constructor(private readonly deps: ExportInstancesDeps) {}

  /**
   * The instances selected, ordered by study, series and instance; ResourceNotFoundError when
   * there are none.
   */
  async select(selection: ExportSelection, actor: Actor): Promise<InstanceRow[]> {
    if ('study' in selection) return this.rows({ study: selection.study }, actor);
    if ('series' in selection) {
      const [study] = await this.studiesOf(
        'series',
        [['SeriesInstanceUID', selection.series]],
        actor,
      );
      if (study === undefined) throw new ResourceNotFoundError('series');
      return this.rows({ study, series: selection.series }, actor);
    }
    const params = [...new URLSearchParams(selection.query)].filter(
      ([key]) => key !== 'limit' && key !== 'offset' && key !== 'includefield',
    );
    const studies = await this.studiesOf('study', params, actor);
    if (studies.length === 0) throw new ResourceNotFoundError('study');
    const out: InstanceRow[] = [];
    for (const study of studies) {
      // A study deleted since the search is skipped.
      out.push(...(await this.rows({ study }, actor).catch(notFoundAsNone)));
    }
    if (out.length === 0) throw new ResourceNotFoundError('study');
    return out;
  }

  /**
   * 110106 Export, action R, one record per patient with their studies; `destination` says
   * where the copies went (a kind such as `folder` or `zip`, never a path, which may name the
   * patient).
   */
  record(
    actor: Actor,
    rows: readonly InstanceRow[],
    detail: Readonly<Record<string, string | number | boolean>>,
  ): Promise<void> {
    const counts = new Map<string, number>();
    for (const row of rows) counts.set(row.patientId, (counts.get(row.patientId) ?? 0) + 1);
    return recordAll(
      this.deps.audit,
      byPatient(rows).map((p) => ({
        ...eventOf(actor, 'export', 'R', 0),
        patient: { patientId: p.patientId, studyUids: [...p.studyUids] },
        detail: { ...detail, instances: counts.get(p.patientId) ?? 0 },
      })),
    );
  }

  /** The stored bytes of one instance (an offline tier fails here, before any byte). */
  open(row: InstanceRow, signal?: AbortSignal): Promise<Readable> {
    return storeOf(this.deps.stores, row.storageTier).get(row.blobKey, signal ? { signal } : {});
  }

  /**
   * One instance de-identified (dicom/deidentify, PS3.15 Annex E), whole in memory, with the
   * UIDs its path is built from (the replacements: the original UIDs must not name the file).
   */
  async openDeidentified(
    row: InstanceRow,
    options: DeidentifyOptions,
    signal?: AbortSignal,
  ): Promise<{ bytes: Buffer; study: string; series: string; instance: string }> {
    const chunks: Buffer[] = [];
    for await (const chunk of await this.open(row, signal)) chunks.push(chunk as Buffer);
    return {
      bytes: deidentifyPart10(Buffer.concat(chunks), options),
      study: options.uids.map(row.studyInstanceUid),
      series: options.uids.map(row.seriesInstanceUid),
      instance: options.uids.map(row.sopInstanceUid),
    };
  }

  private rows(scope: { study: string; series?: string }, actor: Actor): Promise<InstanceRow[]> {
    return this.deps.lookup.findRows(scopedTo(scope, actor));
  }

  /** Study Instance UIDs a QIDO search at `level` matches, every page of it. */
  private async studiesOf(
    level: 'study' | 'series',
    params: [string, string][],
    actor: Actor,
  ): Promise<string[]> {
    const studies = new Set<string>();
    let offset = 0;
    for (;;) {
      const page = await this.deps.search.search({
        resource: { level },
        params: [...params, ['includefield', '0020000D'], ['offset', String(offset)]],
        retrieveBase: '',
        actor,
      });
      for (const dataset of page.datasets) {
        const uid = getString(dataset, '0020000D');
        if (uid !== undefined) studies.add(uid);
      }
      if (page.remaining === 0 || page.datasets.length === 0) break;
      if (studies.size > MAX_STUDIES) break;
      offset = page.nextOffset;
    }
    return [...studies];
  }
}

function notFoundAsNone(error: unknown): InstanceRow[] {
  if (error instanceof ResourceNotFoundError) return [];
  throw error;
}

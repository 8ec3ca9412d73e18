/**
 * WADO-RS Retrieve Metadata (PS3.18 10.4.1.1.2): the DICOM JSON of every instance in scope,
 * from the index (never by re-parsing blobs), as a JSON array streamed batch by batch, with
 * each instance-relative BulkDataURI made absolute so that it resolves (PS3.18 F.2.6).
 */
import { Readable } from 'node:stream';
import type { MetadataRow } from '../index/retrieve.repository.js';
import type { InstanceLookup, RetrieveScope } from './instance-lookup.js';
import { scopedTo, type Actor } from './actor.js';
import type { RetrieveAudit } from './audit-records.js';
import { etagOf, type Choices, type Offer } from './representation.js';

export interface RetrieveMetadataDeps {
  lookup: InstanceLookup;
  audit: RetrieveAudit;
}

/**
 * What ingest writes: `"BulkDataURI":"bulkdata/…"` (dicom/json/bulk-data.ts defaultBulkDataUri),
 * as jsonb prints it (`": "`).
 */
const RELATIVE_URI = /"BulkDataURI":\s*"bulkdata\//g;

const DICOM_JSON = 'application/dicom+json';
/** Asked for by clients that know JSON only; answered with the same DICOM JSON. */
const OFFERS: readonly Offer[] = [{ type: DICOM_JSON }, { type: 'application/json' }];

export class RetrieveMetadata {
  constructor(private readonly deps: RetrieveMetadataDeps) {}

  /**
   * The metadata of the instances in scope as `application/dicom+json`, BulkDataURIs absolute
   * under `base` (the public base URL and DICOMweb root, so that they resolve behind a proxy).
   */
  async prepare(scope: RetrieveScope, base: string, actor: Actor): Promise<Choices<Offer>> {
    const rows = await this.find(scopedTo(scope, actor));
    const choices: Choices<Offer> = {
      offers: OFFERS,
      choose: () => ({
        etag: etagOf(['metadata', base, ...rows.map((r) => `${r.id}:${r.version}:${r.sha256}`)]),
        revalidate: scope.instance === undefined,
        open: () => {
          const chunks = this.json(
            rows,
            // The instance's resource URL (PS3.18 10.4.1: Table 10.4.1-1).
            (r) =>
              `${base}/studies/${r.studyInstanceUid}/series/${r.seriesInstanceUid}/instances/${r.sopInstanceUid}`,
          );
          return Promise.resolve({
            kind: 'single',
            mediaType: DICOM_JSON,
            body: Readable.from(chunks, { objectMode: false }),
          });
        },
      }),
    };
    return this.deps.audit.choices(choices, actor, 'instances-accessed', rows, {
      instances: rows.length,
    });
  }

  /** The instances in scope (404 when none; 400 for bad UIDs), ordered. */
  find(scope: RetrieveScope): Promise<MetadataRow[]> {
    return this.deps.lookup.findMetadataRows(scope);
  }

  /**
   * The JSON array text in chunks (one per batch of instances). `instanceUrl` gives the
   * absolute URL of an instance (no trailing slash); BulkDataURIs become `{instanceUrl}/bulkdata/…`.
   */
  async *json(
    rows: readonly MetadataRow[],
    instanceUrl: (row: MetadataRow) => string,
  ): AsyncGenerator<string> {
    let first = true;
    for await (const batch of this.deps.lookup.metadataText(rows)) {
      const parts = batch.map(({ row, json }) =>
        json.replace(
          RELATIVE_URI,
          // URLs from resolveBaseUrl and UIDs hold no character JSON must escape.
          `"BulkDataURI":"${instanceUrl(row)}/bulkdata/`,
        ),
      );
      if (parts.length === 0) continue;
      yield (first ? '[' : ',') + parts.join(',');
      first = false;
    }
    yield first ? '[]' : ']';
  }
}

/**
 * WADO-RS Retrieve Metadata (PS3.18 10.4.1.1.2): the DICOM JSON of every instance in scope,
 * from the index (never by re-parsing blobs), as a JSON array streamed batch by batch, with
 * each instance-relative BulkDataURI made absolute so that it resolves (PS3.18 F.2.6).
 */
import type { InstanceRow } from '../index/retrieve.repository.js';
import type { InstanceLookup, RetrieveScope } from './instance-lookup.js';

export interface RetrieveMetadataDeps {
  lookup: InstanceLookup;
}

/**
 * What ingest writes: `"BulkDataURI":"bulkdata/…"` (dicom/json/bulk-data.ts defaultBulkDataUri),
 * as jsonb prints it (`": "`).
 */
const RELATIVE_URI = /"BulkDataURI":\s*"bulkdata\//g;

export class RetrieveMetadata {
  constructor(private readonly deps: RetrieveMetadataDeps) {}

  /** The instances in scope (404 when none; 400 for bad UIDs), ordered. */
  find(scope: RetrieveScope): Promise<InstanceRow[]> {
    return this.deps.lookup.findRows(scope);
  }

  /**
   * The JSON array text in chunks (one per batch of instances). `instanceUrl` gives the
   * absolute URL of an instance (no trailing slash); BulkDataURIs become `{instanceUrl}/bulkdata/…`.
   */
  async *json(
    rows: readonly InstanceRow[],
    instanceUrl: (row: InstanceRow) => string,
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

import type { DicomJsonDataset } from '../dicom/json/types.js';
import type { InstanceRow } from '../index/retrieve.repository.js';

export type { BulkDataRef, PixelDataLayout } from '../dicom/part10/layout.js';

/**
 * One stored instance as WADO-RS sees it: its index row (where its bytes are — tier + key — and
 * how they are laid out, offsets recorded at ingest by dicom/part10/scan.ts) and its DICOM JSON.
 */
export interface StoredInstance extends InstanceRow {
  /** DICOM JSON without group 0002; BulkDataURIs are instance-relative, e.g. "bulkdata/7FE00010". */
  metadata: DicomJsonDataset;
}

import type { DicomJsonDataset } from '../dicom/json/types.js';
import type { BulkDataRef, PixelDataLayout } from '../dicom/part10/layout.js';

export type { BulkDataRef, PixelDataLayout } from '../dicom/part10/layout.js';

/**
 * One stored instance as WADO-RS sees it: where its bytes are (tier + key), how they are laid
 * out (offsets recorded at ingest by dicom/part10/scan.ts) and its DICOM JSON.
 */
export interface StoredInstance {
  /** Index row id (never shown to clients). */
  id: number;
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
  /** Name of the store (tier) that holds the blob: a key of `Services` stores. */
  storageTier: string;
  size: number;
  /** SHA-256 of the stored bytes, hex. */
  sha256: string;
  version: number;
  /** File offset where the dataset (after the File Meta group) starts. */
  datasetOffset: number;
  /** PS3.5 §A.5: the dataset is deflated; offsets below then count inflated bytes from `datasetOffset`. */
  deflated: boolean;
  /** Top-level pixel data as recorded at ingest (see src/dicom/part10/layout.ts / scan.ts). */
  pixelData: PixelDataLayout | null;
  bulkData: BulkDataRef[];
  /** DICOM JSON without group 0002; BulkDataURIs are instance-relative, e.g. "bulkdata/7FE00010". */
  metadata: DicomJsonDataset;
}

/**
 * Modality LUT (PS3.3 C.11.1): stored values → modality units (e.g. Hounsfield) by Rescale
 * Slope and Intercept. A Modality LUT Sequence (0028,3000) is not applied (rare outside
 * legacy XA/RF); images carrying one are rendered from their rescale values, if any.
 */
import { getNumber, type DicomJsonDataset } from '../dicom/json/dicom-json.js';

export interface Rescale {
  slope: number;
  intercept: number;
}

/** PS3.3 C.11.1.1.2: Rescale Intercept (0028,1052) and Slope (0028,1053); identity when absent. */
export function rescaleOf(dataset: DicomJsonDataset): Rescale {
  const slope = getNumber(dataset, '00281053');
  const intercept = getNumber(dataset, '00281052');
  return {
    slope: slope !== undefined && slope !== 0 ? slope : 1,
    intercept: intercept ?? 0,
  };
}

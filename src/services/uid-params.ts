import { isValidUid } from '../dicom/uid.js';
import { InvalidUidError } from './errors.js';

/** UIDs in request paths must be UIDs (PS3.5 §9.1) before they reach a query. */
export function assertUid(value: string, parameter: string): void {
  if (!isValidUid(value)) throw new InvalidUidError(parameter);
}

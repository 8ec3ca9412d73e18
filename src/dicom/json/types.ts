/**
 * The DICOM JSON Model, PS3.18 Annex F.2: the types.
 */
import type { Tag } from '../tag.js';

/** PS3.18 F.2.2: the three component groups of a Person Name value. */
export interface PersonNameValue {
  Alphabetic?: string;
  Ideographic?: string;
  Phonetic?: string;
}

/** One entry of "Value": null stands for an empty value among several (PS3.18 F.2.5). */
export type DicomJsonValue = string | number | PersonNameValue | DicomJsonDataset | null;

/** PS3.18 F.2.2: an attribute object. At most one of Value, InlineBinary, BulkDataURI. */
export interface DicomJsonElement {
  vr: string;
  Value?: DicomJsonValue[];
  InlineBinary?: string;
  BulkDataURI?: string;
}

/** PS3.18 F.2.1: attributes keyed by uppercase 8-hex tag. */
export type DicomJsonDataset = Record<Tag, DicomJsonElement>;

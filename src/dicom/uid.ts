/**
 * UID syntax (PS3.5 §9.1) and the well-known UIDs dicom/ uses, as named constants.
 */

/** PS3.5 §9.1: a UID is at most 64 characters. */
export const MAX_UID_LENGTH = 64;

/**
 * PS3.5 §9.1: components of digits separated by '.', no leading zero in a component unless
 * the component is '0', at most 64 characters, at least one component, no empty component.
 */
export function isValidUid(s: string): boolean {
  if (s.length === 0 || s.length > MAX_UID_LENGTH) return false;
  return /^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$/.test(s);
}

/** PS3.6 Table A-1: transfer syntaxes the parser treats specially. */
export const TransferSyntax = {
  ImplicitVRLittleEndian: '1.2.840.10008.1.2',
  ExplicitVRLittleEndian: '1.2.840.10008.1.2.1',
  EncapsulatedUncompressedExplicitVRLittleEndian: '1.2.840.10008.1.2.1.98',
  DeflatedExplicitVRLittleEndian: '1.2.840.10008.1.2.1.99',
  ExplicitVRBigEndian: '1.2.840.10008.1.2.2',
  JPEGBaseline8Bit: '1.2.840.10008.1.2.4.50',
  JPEGExtended12Bit: '1.2.840.10008.1.2.4.51',
  JPEGLossless: '1.2.840.10008.1.2.4.57',
  JPEGLosslessSV1: '1.2.840.10008.1.2.4.70',
  JPEGLSLossless: '1.2.840.10008.1.2.4.80',
  JPEGLSNearLossless: '1.2.840.10008.1.2.4.81',
  JPEG2000Lossless: '1.2.840.10008.1.2.4.90',
  JPEG2000: '1.2.840.10008.1.2.4.91',
  JPEG2000MCLossless: '1.2.840.10008.1.2.4.92',
  JPEG2000MC: '1.2.840.10008.1.2.4.93',
  HTJ2KLossless: '1.2.840.10008.1.2.4.201',
  HTJ2KLosslessRPCL: '1.2.840.10008.1.2.4.202',
  HTJ2K: '1.2.840.10008.1.2.4.203',
  RLELossless: '1.2.840.10008.1.2.5',
  DeflatedImageFrameCompression: '1.2.840.10008.1.2.8.1',
} as const;

/** PS3.6 Table A-1: SOP classes referred to by dicom/ tests and callers. */
export const SopClass = {
  MRImageStorage: '1.2.840.10008.5.1.4.1.1.4',
  CTImageStorage: '1.2.840.10008.5.1.4.1.1.2',
  SecondaryCaptureImageStorage: '1.2.840.10008.5.1.4.1.1.7',
  EncapsulatedPDFStorage: '1.2.840.10008.5.1.4.1.1.104.1',
  SegmentationStorage: '1.2.840.10008.5.1.4.1.1.66.4',
  ParametricMapStorage: '1.2.840.10008.5.1.4.1.1.30',
} as const;

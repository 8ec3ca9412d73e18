/**
 * UID syntax (PS3.5 §9.1) and the well-known UIDs dicom/ uses, as named constants.
 */

/** PS3.5 §9.1: a UID is at most 64 characters. */
export const MAX_UID_LENGTH = 64;

/**
 * A UID as real equipment writes it. PS3.5 §9.1 forbids a leading zero in a component other
 * than '0' ("1.2.840.01.3"), but ultrasound and RT planning systems write such UIDs, and an
 * archive that refuses them can neither store nor find that data; a leading zero is harmless
 * (UIDs are compared as strings, never as numbers), so it is accepted. Still refused: empty,
 * over 64 characters, any character but digits and '.', an empty component (so no '..', no
 * leading or trailing '.'), hence nothing that could act as a path or a query operator.
 */
export function isValidUid(s: string): boolean {
  if (s.length === 0 || s.length > MAX_UID_LENGTH) return false;
  return /^[0-9]+(\.[0-9]+)*$/.test(s);
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

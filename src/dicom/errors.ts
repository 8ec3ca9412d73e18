/**
 * Errors of the dicom/ module (house style §6). Messages say what and where (tag, byte
 * offset), never attribute values: no patient data, no UIDs.
 *
 * dicom/ imports nothing of ours, so its errors cannot extend lib/'s `ProjectError`. `DicomError`
 * has the same shape (an Error with a readonly `code`), `isProjectError` recognises it by that
 * shape, and web/problem.ts joins `DICOM_ERROR_CODES` to lib/'s `ERROR_CODES`: a code added here
 * without an HTTP mapping does not compile either.
 */
export const DICOM_ERROR_CODES = [
  'dicom.parse',
  'dicom.not_part10',
  'dicom.unsupported_transfer_syntax',
  'dicom.header_too_large',
  'dicom.frame_layout',
] as const;

export type DicomErrorCode = (typeof DICOM_ERROR_CODES)[number];

/** The base of dicom/'s errors; structurally the same as lib/'s `ProjectError`. */
export abstract class DicomError extends Error {
  abstract readonly code: DicomErrorCode;
}

/** The bytes are not a well-formed DICOM stream: truncated, inconsistent lengths, bad tags. */
export class DicomParseError extends DicomError {
  override readonly name = 'DicomParseError';
  readonly code = 'dicom.parse';
  /** Absolute byte position (from byte 0 of the preamble) where the problem was found. */
  readonly offset: number;

  constructor(message: string, offset: number, options?: ErrorOptions) {
    super(message, options);
    this.offset = offset;
  }
}

/** PS3.10 §7.1: no 'DICM' prefix at byte 128, so not a Part 10 file (raw datasets are refused). */
export class NotPart10Error extends DicomError {
  override readonly name = 'NotPart10Error';
  readonly code = 'dicom.not_part10';

  constructor(message = "no 'DICM' prefix at byte 128: not a DICOM Part 10 file") {
    super(message);
  }
}

/**
 * A transfer syntax this server cannot handle: at ingest, an unknown syntax whose dataset is
 * not Explicit VR Little Endian (PS3.5 §A.4), so it cannot be parsed; when rendering or
 * decoding, pixel data in a syntax no decoder here reads (JPEG XL, video, …). `decodable`
 * lists the syntaxes that can be decoded, for the client's benefit (PS3.18 §8.3.5: 406 when no
 * acceptable representation can be produced); empty where decoding is not the question.
 */
export class UnsupportedTransferSyntaxError extends DicomError {
  override readonly name = 'UnsupportedTransferSyntaxError';
  readonly code = 'dicom.unsupported_transfer_syntax';

  constructor(
    message: string,
    readonly decodable: readonly string[] = [],
  ) {
    super(message);
  }
}

/** The non-bulk part of the instance (its header) exceeds the configured memory cap. */
export class HeaderTooLargeError extends DicomError {
  override readonly name = 'HeaderTooLargeError';
  readonly code = 'dicom.header_too_large';
  readonly limit: number;
  readonly offset: number;

  constructor(limit: number, offset: number) {
    super(`header exceeds ${limit} bytes kept in memory at byte ${offset}`);
    this.limit = limit;
    this.offset = offset;
  }
}

/** Frame boundaries cannot be derived from the pixel data layout and the frame count. */
export class FrameLayoutError extends DicomError {
  override readonly name = 'FrameLayoutError';
  readonly code = 'dicom.frame_layout';

  constructor(message: string) {
    super(message);
  }
}

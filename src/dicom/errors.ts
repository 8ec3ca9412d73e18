/**
 * Errors of the dicom/ module (house style §6). Messages say what and where (tag, byte
 * offset), never attribute values: no patient data, no UIDs.
 */

/** The bytes are not a well-formed DICOM stream: truncated, inconsistent lengths, bad tags. */
export class DicomParseError extends Error {
  readonly code = 'dicom.parse';
  /** Absolute byte position (from byte 0 of the preamble) where the problem was found. */
  readonly offset: number;

  constructor(message: string, offset: number, options?: ErrorOptions) {
    super(message, options);
    this.name = 'DicomParseError';
    this.offset = offset;
  }
}

/** PS3.10 §7.1: no 'DICM' prefix at byte 128, so not a Part 10 file (raw datasets are refused). */
export class NotPart10Error extends Error {
  readonly code = 'dicom.not_part10';

  constructor(message = "no 'DICM' prefix at byte 128: not a DICOM Part 10 file") {
    super(message);
    this.name = 'NotPart10Error';
  }
}

/** The transfer syntax cannot be parsed (e.g. a non-encapsulated syntax we do not know). */
export class UnsupportedTransferSyntaxError extends Error {
  readonly code = 'dicom.unsupported_transfer_syntax';

  constructor(message: string) {
    super(message);
    this.name = 'UnsupportedTransferSyntaxError';
  }
}

/** The non-bulk part of the instance (its header) exceeds the configured memory cap. */
export class HeaderTooLargeError extends Error {
  readonly code = 'dicom.header_too_large';
  readonly limit: number;
  readonly offset: number;

  constructor(limit: number, offset: number) {
    super(`header exceeds ${limit} bytes kept in memory at byte ${offset}`);
    this.name = 'HeaderTooLargeError';
    this.limit = limit;
    this.offset = offset;
  }
}

/** Frame boundaries cannot be derived from the pixel data layout and the frame count. */
export class FrameLayoutError extends Error {
  readonly code = 'dicom.frame_layout';

  constructor(message: string) {
    super(message);
    this.name = 'FrameLayoutError';
  }
}

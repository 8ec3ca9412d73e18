import type { Readable } from 'node:stream';

/**
 * One part of a multipart body, handed out by the readers in body order.
 *
 * Consumption contract: read `body` to its end (or `resume()` / `destroy()` it) before asking the
 * reader for the next part. A body nobody has started reading when the next part is asked for is
 * resumed (discarded) by the reader; a body still being read keeps its backpressure.
 */
export interface MultipartPart {
  /** 0-based position in the body. */
  index: number;
  /** Lowercased names; a field given twice is joined with ", " (RFC 9110 §5.3). */
  headers: Record<string, string>;
  contentType?: string;
  contentLocation?: string;
  body: Readable;
}

export interface MultipartReadOptions {
  /**
   * Limit on one part's header block, bytes after the boundary through the blank line.
   * Default 16 KiB. (form-data: busboy's own 16 KiB limit applies and cannot be raised.)
   */
  maxPartHeaderBytes?: number;
  /** More parts than this fail with TooManyPartsError. Default: no limit. */
  maxParts?: number;
}

export const DEFAULT_MAX_PART_HEADER_BYTES = 16 * 1024;

import { ProjectError } from '../lib/errors.js';

/** Service errors: stable codes; HTTP mapping lives only in web/problem.ts. */

/** The study, series or instance the request names is not in the index. */
export class ResourceNotFoundError extends ProjectError {
  override readonly name = 'ResourceNotFoundError';
  readonly code = 'service.not_found';
  constructor(readonly level: 'study' | 'series' | 'instance' | 'webhook') {
    super(`${level} not found`);
  }
}

/** A UID in the request path is not a valid UID (PS3.5 §9.1). */
export class InvalidUidError extends ProjectError {
  override readonly name = 'InvalidUidError';
  readonly code = 'service.invalid_uid';
  constructor(readonly parameter: string) {
    super(`${parameter} is not a valid DICOM UID`);
  }
}

/** PS3.18 10.4.1.1.4: a frame list that is not 1-based positive integers without duplicates. */
export class InvalidFrameListError extends ProjectError {
  override readonly name = 'InvalidFrameListError';
  readonly code = 'service.invalid_frame_list';
}

/** A requested frame number is beyond the instance's NumberOfFrames (PS3.18 10.4.1.1.4). */
export class FrameNotFoundError extends ProjectError {
  override readonly name = 'FrameNotFoundError';
  readonly code = 'service.frame_not_found';
  constructor(
    readonly frame: number,
    readonly numberOfFrames: number,
  ) {
    super(`frame ${frame} does not exist: the instance has ${numberOfFrames} frame(s)`);
  }
}

/**
 * A frame the instance declares (Rows x Columns x NumberOfFrames) but whose stored pixel data,
 * kept as the sender wrote it, is too short to hold it. Not the server's fault and not fixed by
 * retrying: the frame does not exist in the stored object.
 */
export class FrameNotStoredError extends ProjectError {
  override readonly name = 'FrameNotStoredError';
  readonly code = 'service.frame_not_stored';
  constructor(
    readonly frame: number,
    readonly storedFrames: number,
    readonly numberOfFrames: number,
  ) {
    super(
      `frame ${frame} is not in the stored pixel data: it holds ${storedFrames} of the ` +
        `${numberOfFrames} frame(s) its image geometry declares (the instance is kept as sent)`,
    );
  }
}

/** Frames, pixel data or a bulk data path were asked of an instance that has none. */
export class NoPixelDataError extends ProjectError {
  override readonly name = 'NoPixelDataError';
  readonly code = 'service.no_pixel_data';
  constructor() {
    super('the instance has no pixel data');
  }
}

/** A BulkDataURI path that the instance does not have. */
export class BulkDataNotFoundError extends ProjectError {
  override readonly name = 'BulkDataNotFoundError';
  readonly code = 'service.bulk_data_not_found';
  constructor() {
    super('the instance has no bulk data at this path');
  }
}

/** The stored bytes disagree with the layout recorded at ingest (damaged blob or index). */
export class StoredLayoutError extends ProjectError {
  override readonly name = 'StoredLayoutError';
  readonly code = 'service.stored_layout';
}

/**
 * The server cannot produce any representation the client accepts (PS3.18 8.7.3, 406): e.g.
 * a transfer syntax it cannot transcode to. `offered` lists what it could send instead.
 */
export class NotAcceptableError extends ProjectError {
  override readonly name = 'NotAcceptableError';
  readonly code = 'service.not_acceptable';
  constructor(
    message: string,
    readonly offered: readonly string[] = [],
  ) {
    super(message);
  }
}

/** RFC 9110 §15.5.17: a Range request none of whose ranges overlap the bulk data. */
export class RangeNotSatisfiableError extends ProjectError {
  override readonly name = 'RangeNotSatisfiableError';
  readonly code = 'service.range_not_satisfiable';
  constructor(readonly size: number) {
    super(`the requested range is outside the ${size} bytes of bulk data`);
  }
}

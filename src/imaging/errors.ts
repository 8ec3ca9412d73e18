import { UnsupportedTransferSyntaxError } from '../dicom/errors.js';
import { ProjectError } from '../lib/errors.js';

/**
 * Errors of the imaging/ module (house style §6): stable codes, mapped to HTTP only in
 * web/problem.ts. Messages never carry attribute values or UIDs. Pixel data in a syntax no
 * decoder reads is dicom/'s UnsupportedTransferSyntaxError (with its `decodable` list).
 */

/** The instance has no displayable pixel data (no Pixel Data, no Rows/Columns, float data…). */
export class NotAnImageError extends ProjectError {
  override readonly name = 'NotAnImageError';
  readonly code = 'imaging.not_an_image';
}

/** A codestream the codec rejected, or decoded pixels that do not match the header. */
export class DecodeError extends ProjectError {
  override readonly name = 'DecodeError';
  readonly code = 'imaging.decode_failed';
}

/** The frame is too large to decode and render in memory (see MAX_RENDER_PIXELS). */
export class ImageTooLargeError extends ProjectError {
  override readonly name = 'ImageTooLargeError';
  readonly code = 'imaging.too_large';
}

/** A rendering query parameter (window, viewport, quality…) is malformed (PS3.18 §8.3.5). */
export class RenderParameterError extends ProjectError {
  override readonly name = 'RenderParameterError';
  readonly code = 'imaging.bad_parameter';
}

/**
 * Every decode/render slot is taken and the queue of waiting requests is full: the request is
 * refused at once rather than queued without bound (503 with Retry-After, RFC 9110 §10.2.3).
 */
export class ImagingBusyError extends ProjectError {
  override readonly name = 'ImagingBusyError';
  readonly code = 'imaging.busy';
  constructor(readonly retryAfterSeconds: number) {
    super('the server is busy decoding or rendering other images; retry later');
  }
}

/** What crosses the worker boundary of an error (structured clone keeps no class or fields). */
export interface SerializedError {
  name: string;
  code?: string | undefined;
  message: string;
  decodable?: readonly string[] | undefined;
}

export function serializeError(error: unknown): SerializedError {
  const e = error as Partial<SerializedError> | null;
  return {
    name: typeof e?.name === 'string' ? e.name : 'Error',
    code: typeof e?.code === 'string' ? e.code : undefined,
    message: typeof e?.message === 'string' ? e.message : String(error),
    decodable: Array.isArray(e?.decodable) ? e.decodable : undefined,
  };
}

/** The typed error a worker threw, rebuilt on the main thread (unknown codes stay a 500). */
export function deserializeError(error: SerializedError): Error {
  switch (error.code) {
    case 'imaging.not_an_image':
      return new NotAnImageError(error.message);
    case 'dicom.unsupported_transfer_syntax':
      return new UnsupportedTransferSyntaxError(error.message, error.decodable);
    case 'imaging.decode_failed':
      return new DecodeError(error.message);
    case 'imaging.too_large':
      return new ImageTooLargeError(error.message);
    case 'imaging.bad_parameter':
      return new RenderParameterError(error.message);
    case undefined:
    default: {
      const plain = new Error(error.message);
      plain.name = error.name;
      return plain;
    }
  }
}

/**
 * Errors of the imaging/ module (house style §6): stable codes, mapped to HTTP only in
 * web/problem.ts. Messages never carry attribute values or UIDs.
 */

/** The instance has no displayable pixel data (no Pixel Data, no Rows/Columns, float data…). */
export class NotAnImageError extends Error {
  override readonly name = 'NotAnImageError';
  readonly code = 'imaging.not_an_image';
}

/**
 * The pixel data is in a transfer syntax this server cannot decode (e.g. JPEG XL, MPEG/H.264
 * video, 12-bit JPEG Extended), so it cannot be rendered or transcoded. `decodable` lists the
 * syntaxes that can be, for the client's benefit (PS3.18 §8.3.5: 406 when no acceptable
 * representation can be produced).
 */
export class UnsupportedTransferSyntaxError extends Error {
  override readonly name = 'UnsupportedTransferSyntaxError';
  readonly code = 'imaging.unsupported_transfer_syntax';
  constructor(
    message: string,
    readonly decodable: readonly string[] = [],
  ) {
    super(message);
  }
}

/** A codestream the codec rejected, or decoded pixels that do not match the header. */
export class DecodeError extends Error {
  override readonly name = 'DecodeError';
  readonly code = 'imaging.decode_failed';
}

/** The frame is too large to decode and render in memory (see MAX_RENDER_PIXELS). */
export class ImageTooLargeError extends Error {
  override readonly name = 'ImageTooLargeError';
  readonly code = 'imaging.too_large';
}

/** A rendering query parameter (window, viewport, quality…) is malformed (PS3.18 §8.3.5). */
export class RenderParameterError extends Error {
  override readonly name = 'RenderParameterError';
  readonly code = 'imaging.bad_parameter';
}

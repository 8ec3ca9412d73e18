/** QIDO-RS web errors; mapped in web/problem.ts. */

/** The Accept header names no media type QIDO-RS can answer with (PS3.18 8.7.3 → 406). */
export class QidoNotAcceptableError extends Error {
  override readonly name = 'QidoNotAcceptableError';
  readonly code = 'web.not_acceptable';
  constructor(detail: string) {
    super(detail);
  }
}

import { ProjectError } from '../../lib/errors.js';

/** QIDO-RS query errors: stable codes; HTTP mapping lives only in web/problem.ts (all 400). */

/**
 * A query parameter is malformed: a bad date or time range, a non-numeric integer, an invalid
 * UID in a list, a bad limit or offset (PS3.18 8.3.4: the origin server answers 400).
 * Messages name the parameter, never the value (values can be PHI).
 */
export class QidoBadParameterError extends ProjectError {
  override readonly name = 'QidoBadParameterError';
  readonly code = 'qido.bad_parameter';
  constructor(
    readonly parameter: string,
    problem: string,
  ) {
    super(`query parameter ${parameter}: ${problem}`);
  }
}

/** A match key or includefield names no attribute we know (bad tag, unknown keyword). */
export class QidoUnknownAttributeError extends ProjectError {
  override readonly name = 'QidoUnknownAttributeError';
  readonly code = 'qido.unknown_attribute';
  constructor(readonly parameter: string) {
    super(`query parameter ${parameter} is not a DICOM tag or keyword this server can search`);
  }
}

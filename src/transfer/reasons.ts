/**
 * Why an instance was refused, as the person running `strata import` reads it: the STOW-RS
 * FailureReason (0008,1197) codes Strata answers (PS3.18 Table I.2-2, PS3.4 Table B.2-1, PS3.7
 * Annex C; services/outcomes.ts is the server's side) with a short explanation.
 */
const FAILURE_REASONS: Record<number, string> = {
  0x0110: 'processing failure',
  0x0111: 'a different object is stored under this SOP Instance UID',
  0x0122: 'SOP class not supported',
  0x0124: 'not authorized (outside the patient scope of the credentials)',
  0xa700: 'out of resources (storage full, or the instance is over the size limit)',
  0xa900: 'data set does not match its SOP class',
  0xc122: 'transfer syntax not supported',
  0xc000: 'cannot understand (truncated, or missing UIDs)',
};

/** `not DICOM`: no Part 10 header; decided before sending, so the reason is the same for every target. */
export const NOT_DICOM = 'not DICOM (no Part 10 header: no "DICM" at byte 128)';

export function failureText(code: number): string {
  const hex = `0x${code.toString(16).toUpperCase().padStart(4, '0')}`;
  return `${FAILURE_REASONS[code] ?? 'refused'} [${hex}]`;
}

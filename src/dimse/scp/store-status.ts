import type { ProjectError } from '../../lib/errors.js';
import type { PartResult } from '../../services/store-many.js';
import { FailureReason } from '../../services/outcomes.js';

/**
 * A STOW outcome as a C-STORE status (PS3.4 Table B.2-1, PS3.7 Annex C). Failure and warning
 * codes of outcomes.ts are the C-STORE codes already (STOW's FailureReason reuses them), except
 * the two that only HTTP knows:
 * - C122 Referenced Transfer Syntax not supported: over DIMSE the syntax was negotiated, so an
 *   unreadable dataset is C000 Cannot understand;
 * - an error that is not the instance's fault (index or storage down, audit trail unavailable):
 *   A700 Refused: Out of Resources, which senders retry later — as STOW's 503 — and the retry
 *   is safe (a duplicate of a stored instance is answered as stored).
 * Warnings pass through: B007 (meta and dataset disagree) and Strata's B00A (patient conflict,
 * defined in the README like STOW's).
 */
export function storeStatus(part: PartResult | undefined): { status: number; comment?: string } {
  if (part === undefined) return { status: FailureReason.CannotUnderstand, comment: 'no dataset' };
  if ('error' in part) {
    const code = (part.error as Partial<ProjectError>).code;
    return { status: 0xa700, comment: typeof code === 'string' ? code : 'processing failure' };
  }
  const { outcome } = part;
  if (outcome.ok) return { status: outcome.warning ?? 0x0000 };
  const status =
    outcome.reason === FailureReason.TransferSyntaxNotSupported
      ? FailureReason.CannotUnderstand
      : outcome.reason;
  return { status, comment: outcome.detail };
}

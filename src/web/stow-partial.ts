import { FailureReason, type StoreOutcome } from '../services/outcomes.js';
import type { StoreManyResult } from '../services/store-many.js';
import { TooManyPartsError } from './multipart/errors.js';

/**
 * The rule for a STOW request that fails part-way (body cut off, more than STOW_MAX_PARTS parts,
 * storage or index failing for one part):
 *
 * - nothing stored → the request's error as today (400 `multipart.truncated`, 413
 *   `multipart.too_many_parts`, 503 …; problem.ts), since nothing needs reporting;
 * - anything stored (or found already stored) → the Store Instances response, whose status then
 *   is 202 (PS3.18 10.5.3: "stored some of the Instances but warnings or failures exist for
 *   others"): ReferencedSOPSequence lists what is stored, FailedSOPSequence gets one item per
 *   part the error stopped (UIDs empty when never read: type 2 in Table I.1-1), and a
 *   `Warning: 299` header (RFC 7234 5.5, as PS3.18 uses it for QIDO) says where it broke.
 *
 * So a client never retries blind: what is listed as stored is stored and retrievable.
 */
export interface SettledStow {
  outcomes: StoreOutcome[];
  /** `Warning` header values (299), one per error that stopped parts. */
  warnings: string[];
}

/** Throws the request's error when nothing was stored (see the rule above). */
export function settleStow(result: StoreManyResult): SettledStow {
  const { parts, readError } = result;
  const partErrors = parts.flatMap((p, i) => ('error' in p ? [{ index: i, error: p.error }] : []));
  const outcomes = parts.flatMap((p) => ('outcome' in p ? [p.outcome] : []));
  if (partErrors.length === 0 && readError === undefined) return { outcomes, warnings: [] };
  if (!outcomes.some((o) => o.ok)) throw readError ?? partErrors[0]!.error;

  const settled: StoreOutcome[] = [];
  const warnings: string[] = [];
  for (const [i, part] of parts.entries()) {
    if ('outcome' in part) {
      settled.push(part.outcome);
      continue;
    }
    const code = codeOf(part.error);
    settled.push({ ok: false, reason: reasonFor(code), detail: code });
    // The part the read error broke is described by the read error below.
    if (readError === undefined || i !== parts.length - 1) {
      warnings.push(warning(`Part ${i + 1} was not stored (${code}).`));
    }
  }
  if (readError !== undefined) {
    const brokePart = 'error' in (parts.at(-1) ?? {});
    // A read error between parts stopped the parts after them: one item stands for those.
    if (!brokePart) {
      const code = codeOf(readError);
      settled.push({ ok: false, reason: reasonFor(code), detail: code });
    }
    warnings.push(warning(readErrorText(readError, parts.length, brokePart)));
  }
  return { outcomes: settled, warnings };
}

function readErrorText(error: unknown, started: number, brokePart: boolean): string {
  const where = brokePart ? `while reading part ${started}` : `after part ${started}`;
  if (error instanceof TooManyPartsError) {
    return (
      `The request holds more than STOW_MAX_PARTS (${error.maxParts}) parts: ` +
      `the first ${error.maxParts} were processed, the rest were neither read nor stored.`
    );
  }
  const code = codeOf(error);
  if (code === 'multipart.truncated') {
    return `The request body ended ${where}, before its close delimiter: nothing after was stored.`;
  }
  return `Reading the request failed ${where} (${code}): nothing after was stored.`;
}

/** PS3.18 Table I.2-2, the most apt code for an error that stopped a part. */
function reasonFor(code: string): FailureReason {
  switch (code) {
    case 'multipart.truncated':
    case 'multipart.bad_headers':
      return FailureReason.CannotUnderstand;
    case 'multipart.too_many_parts':
    case 'lib.size_limit_exceeded':
    case 'storage.full':
      return FailureReason.OutOfResources;
    default:
      return FailureReason.ProcessingFailure;
  }
}

/** Our errors' stable code, never a message (which may name a key or a path). */
function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[a-z][a-z0-9]*\.[a-z][a-z0-9_]*$/.test(code)
    ? code
    : 'internal';
}

/** RFC 7234 5.5: warn-code SP warn-agent SP quoted warn-text. */
function warning(text: string): string {
  return `299 strata "${text.replace(/["\\]/g, '')}"`;
}

import type { StoreOutcome } from '../services/outcomes.js';

/**
 * The STOW-RS response (PS3.18 10.5.3, Annex I Table I.1-1) as DICOM JSON, and its status:
 * 200 every instance stored without warning; 202 some stored, but others failed or were stored
 * with a WarningReason (PS3.18 Table 10.5.3-1: "stored some of the Instances but warnings or
 * failures exist"); 409 none stored (each failure is in FailedSOPSequence with its
 * FailureReason). Request-level problems (400/415/413) get here only when something was stored
 * before them (web/stow-partial.ts); otherwise they are problem+json.
 */
export interface StowResponse {
  status: 200 | 202 | 409;
  body: Record<string, unknown>;
}

/** Builds the instance and study URLs from the public base URL. */
export interface RetrieveUrls {
  study(studyUid: string): string;
  instance(studyUid: string, seriesUid: string, sopUid: string): string;
}

export function stowResponse(
  outcomes: StoreOutcome[],
  urls: RetrieveUrls,
  urlStudyUid?: string,
): StowResponse {
  const referenced: Record<string, unknown>[] = [];
  const failed: Record<string, unknown>[] = [];
  for (const outcome of outcomes) {
    if (outcome.ok) {
      const item: Record<string, unknown> = {
        '00081150': ui(outcome.sopClassUid),
        '00081155': ui(outcome.sopInstanceUid),
        '00081190': {
          vr: 'UR',
          Value: [
            urls.instance(
              outcome.studyInstanceUid,
              outcome.seriesInstanceUid,
              outcome.sopInstanceUid,
            ),
          ],
        },
      };
      // PS3.18 Table I.1-1: WarningReason (0008,1196) is 1C, present when stored with a warning.
      if (outcome.warning !== undefined) item['00081196'] = { vr: 'US', Value: [outcome.warning] };
      referenced.push(item);
    } else {
      failed.push({
        '00081150': ui(outcome.sopClassUid),
        '00081155': ui(outcome.sopInstanceUid),
        '00081197': { vr: 'US', Value: [outcome.reason] },
      });
    }
  }
  // RetrieveURL (0008,1190) is type 2: the study's URL when the stored instances share one study.
  const studies = new Set(outcomes.flatMap((o) => (o.ok ? [o.studyInstanceUid] : [])));
  const studyUid = urlStudyUid ?? (studies.size === 1 ? [...studies][0] : undefined);
  const body: Record<string, unknown> = {
    '00081190':
      studyUid !== undefined && referenced.length > 0
        ? { vr: 'UR', Value: [urls.study(studyUid)] }
        : { vr: 'UR' },
  };
  if (failed.length > 0) body['00081198'] = { vr: 'SQ', Value: failed };
  if (referenced.length > 0) body['00081199'] = { vr: 'SQ', Value: referenced };
  const warned = outcomes.some((o) => o.ok && o.warning !== undefined);
  const status = failed.length === 0 && !warned ? 200 : referenced.length === 0 ? 409 : 202;
  return { status, body };
}

/** A UI element; absent value (part never parsed far enough) → empty element, as type 2 allows. */
function ui(value: string | undefined): Record<string, unknown> {
  return value === undefined ? { vr: 'UI' } : { vr: 'UI', Value: [value] };
}

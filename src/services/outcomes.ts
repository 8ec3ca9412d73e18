/**
 * Per-instance STOW-RS outcomes. Failures are values, not exceptions: one bad part never fails
 * the others (web/stow-response.ts turns outcomes into the response and its status).
 */

/**
 * FailureReason (0008,1197) values, PS3.18 Table I.2-2 and the C-STORE statuses of PS3.4
 * Table B.2-1 / PS3.7 Annex C. One code per instance, the most apt.
 */
export const FailureReason = {
  /** PS3.7 C.4: Processing failure — a general failure while storing. */
  ProcessingFailure: 0x0110,
  /** PS3.7 C.4: Duplicate SOP Instance — a different object already has this SOP Instance UID. */
  DuplicateSopInstance: 0x0111,
  /** PS3.4 B.2.3: Refused: SOP Class not supported. */
  SopClassNotSupported: 0x0122,
  /**
   * PS3.7 Annex C (general statuses): Refused: Not Authorized — the instance belongs to a patient
   * outside the sender's patient context (services/stow.ts). Chosen over the A7xx "Out of
   * Resources" range, which tells a sender to retry later, and over A9xx/Cxxx, which blame the
   * data set: nothing is wrong with the object, this sender may not store it, and resending it
   * will not help.
   */
  NotAuthorized: 0x0124,
  /** PS3.4 Table B.2-1: Refused: Out of Resources (storage full, instance over the size limit). */
  OutOfResources: 0xa700,
  /** PS3.4 Table B.2-1: Error: Data Set does not match SOP Class (incl. Study UID ≠ URL, PS3.18 I.2.2). */
  DataSetDoesNotMatchSopClass: 0xa900,
  /** PS3.18 Table I.2-2: Referenced Transfer Syntax not supported (unknown and unreadable). */
  TransferSyntaxNotSupported: 0xc122,
  /** PS3.4 Table B.2-1: Error: Cannot understand (not DICOM, truncated, missing UIDs). */
  CannotUnderstand: 0xc000,
} as const;
export type FailureReason = (typeof FailureReason)[keyof typeof FailureReason];

/**
 * WarningReason (0008,1196) values: the instance was stored, but the sender should know
 * something (PS3.18 Table I.2-1; PS3.4 Table B.2-1 for the C-STORE equivalents). PS3.18 I.2.2
 * allows implementation-specific codes if the conformance statement (README) defines them.
 */
export const WarningReason = {
  /**
   * PS3.18 Table I.2-1 / PS3.4 Table B.2-1 B007: Data Set does not match SOP Class — stored
   * despite it. Used when the file meta's MediaStorageSOPInstanceUID (0002,0003) differs from
   * the dataset's SOPInstanceUID (0008,0018), which PS3.10 §7.1 requires to be equal: the
   * instance is indexed by the dataset's UID and its bytes are kept as sent.
   */
  DataSetDoesNotMatchSopClass: 0xb007,
  /**
   * Strata-specific (PS3.18 I.2.2 allows implementation codes; the README defines it): stored,
   * but the instance names another patient (PatientID / IssuerOfPatientID) than the study it
   * belongs to, which keeps the patient of its first instance. The sender should reconcile.
   */
  PatientConflict: 0xb00a,
} as const;
export type WarningReason = (typeof WarningReason)[keyof typeof WarningReason];

export interface StoredInstanceRef {
  studyInstanceUid: string;
  seriesInstanceUid: string;
  sopInstanceUid: string;
  sopClassUid: string;
}

export type StoreOutcome =
  | ({
      ok: true;
      /** `created` new; `duplicate` identical object already stored (no change); `replaced` new version. */
      result: 'created' | 'duplicate' | 'replaced';
      /** Stored, with something the sender should know (WarningReason in the response). */
      warning?: WarningReason | undefined;
      /** For the operator log: what the warning is about, PHI-free. */
      warningDetail?: string | undefined;
    } & StoredInstanceRef)
  | {
      ok: false;
      reason: FailureReason;
      /** Known when the part was parsed far enough. */
      sopClassUid?: string | undefined;
      sopInstanceUid?: string | undefined;
      /** For the operator log: what went wrong, PHI-free (no values, no UIDs). */
      detail: string;
    };

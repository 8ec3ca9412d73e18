/**
 * The C-STORE sub-operations of one C-MOVE or C-GET and the responses that report them
 * (PS3.4 C.4.2.1.5, C.4.2.3.1; C.4.3.1.4): pending responses with Remaining / Completed /
 * Failed / Warning counts as each sub-operation is answered, then the final status:
 * 0000 all completed; B000 some failed or had warnings; A702 none could be performed (the
 * destination refused or could not be reached); FE00 cancelled (C-CANCEL), with Remaining.
 * A final response with failures carries the Failed SOP Instance UID List (0008,0058).
 */
import type { responses } from 'dcmjs-dimse';
import { Dataset, type DimseResponse } from '../library.js';
import type { StoreResult } from '../scu/store-association.js';
import type { SendSummary } from '../scu/send-instances.js';
import { RetrieveStatus } from './retrieve-identifier.js';

type CountedResponse = responses.CMoveResponse | responses.CGetResponse;

export class SubOperations {
  private completed = 0;
  private warnings = 0;
  private failed = 0;

  constructor(readonly total: number) {}

  /** One sub-operation answered (or failed before it could be). */
  record(result: StoreResult): void {
    if (result.kind === 'stored') {
      if (result.status === 0) this.completed++;
      else this.warnings++;
    } else if (result.kind === 'failed') this.failed++;
  }

  /** A pending response (FF00) with the counts so far. */
  pending(response: DimseResponse): DimseResponse {
    const r = response as CountedResponse;
    r.setStatus(RetrieveStatus.Pending);
    r.setRemaining(Math.max(0, this.total - this.completed - this.warnings - this.failed));
    this.counts(r);
    return r;
  }

  /** The final response, from the send's own summary (authoritative over the pending counts). */
  final(response: DimseResponse, summary: SendSummary, cancelled: boolean): DimseResponse {
    const r = response as CountedResponse;
    this.failed = summary.failed.length;
    this.warnings = summary.warnings;
    this.completed = summary.stored - summary.warnings;
    const failedUids = summary.failed.map((f) => f.sopInstanceUid);
    if (cancelled && summary.notSent.length > 0) {
      r.setStatus(RetrieveStatus.Cancel);
      r.setRemaining(summary.notSent.length);
    } else if (this.failed === 0 && this.warnings === 0) r.setStatus(RetrieveStatus.Success);
    else if (this.completed + this.warnings === 0 && this.failed > 0)
      r.setStatus(RetrieveStatus.UnableToPerform);
    else r.setStatus(RetrieveStatus.SomeFailed);
    this.counts(r);
    if (failedUids.length > 0) r.setDataset(new Dataset({ FailedSOPInstanceUIDList: failedUids }));
    return r;
  }

  private counts(r: CountedResponse): void {
    r.setCompleted(this.completed);
    r.setFailures(this.failed);
    r.setWarnings(this.warnings);
  }
}

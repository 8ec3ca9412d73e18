/**
 * Query/Retrieve C-GET SCP (PS3.4 C.4.3), Patient Root and Study Root: the instances the
 * identifier names go back to the caller by C-STORE sub-operations on the same association, on
 * the storage contexts it proposed (with the SCP role, PS3.7 D.3.3.4). Each instance goes as
 * stored when the caller accepted that syntax for its SOP class, else converted to Explicit VR
 * LE (or, parsed, to the uncompressed syntax it accepted); a SOP class without a context, or a
 * syntax that cannot be converted, fails that sub-operation. Pending responses count them;
 * C-CANCEL stops before the next one. Audit: 110104 Instances Transferred to the caller.
 */
import type { InstanceRow } from '../../index/retrieve.repository.js';
import type { ExportDestination } from '../../services/send-instances.js';
import type { ScpType } from '../library.js';
import { dimse, isSuccess, isWarning, statusHex } from '../scu/dimse-lib.js';
import { emptySummary, outgoingFor, reasonOf } from '../scu/send-instances.js';
import {
  acceptedSyntaxes,
  UNCOMPRESSED,
  type OutgoingInstance,
  type StoreResult,
} from '../scu/store-association.js';
import { failureResponse, responseTo } from './responses.js';
import {
  PATIENT_ROOT_GET,
  RetrieveStatus,
  retrieveKeys,
  STUDY_ROOT_GET,
} from './retrieve-identifier.js';
import { uncompressedSyntax, type AssociationContext, type ScpService } from './service.js';
import { SubOperations } from './sub-operations.js';

const ELE = '1.2.840.10008.1.2.1';

export const getService: ScpService = {
  name: 'get',
  handles: (uid) => uid === PATIENT_ROOT_GET || uid === STUDY_ROOT_GET,
  transferSyntax: uncompressedSyntax,

  async cGet(context, request, respond, cancelled) {
    const identifier = request.getDataset()?.getElements() ?? {};
    const keys = retrieveKeys(request.getAffectedSopClassUid(), identifier);
    if (typeof keys === 'string') {
      respond(failureResponse(request, RetrieveStatus.IdentifierDoesNotMatch, keys));
      return;
    }
    const exporter = context.services.send;
    const rows = await exporter.findByKeys(keys, context.actor);
    const to = callerOf(context);
    await exporter.recordStart(context.actor, rows, to, 'instances-transferred');
    const accepted = acceptedSyntaxes(context.association);
    const ops = new SubOperations(rows.length);
    const summary = emptySummary(rows.length);
    for (const row of rows) {
      if (cancelled.aborted) {
        summary.notSent.push(row.sopInstanceUid);
        continue;
      }
      const result = await subOperation(context, row, accepted.get(row.sopClassUid) ?? []);
      ops.record(result);
      if (result.kind === 'stored') {
        summary.stored++;
        if (result.status !== 0) summary.warnings++;
      } else if (result.kind === 'failed')
        summary.failed.push({ sopInstanceUid: row.sopInstanceUid, reason: result.reason });
      if (!context.signal.aborted) respond(ops.pending(responseTo(request)));
    }
    const failed = new Set(summary.failed.map((f) => f.sopInstanceUid));
    await exporter.recordFailures(context.actor, rows, failed, to, 'instances-transferred');
    if (!context.signal.aborted)
      respond(ops.final(responseTo(request), summary, cancelled.aborted));
  },
};

/** The caller as the audit record names it: its known AE entry, else its title and address. */
function callerOf(context: AssociationContext): ExportDestination {
  return (
    context.caller ?? {
      aeTitle: context.callingAeTitle,
      host: context.actor.clientAddress ?? 'unknown',
      port: 0,
    }
  );
}

/** One C-STORE sub-operation on the association; never throws. */
async function subOperation(
  context: AssociationContext,
  row: InstanceRow,
  accepted: readonly string[],
): Promise<StoreResult> {
  if (accepted.length === 0)
    return { kind: 'failed', reason: 'no storage context accepted for its SOP class' };
  const requested = accepted.includes(row.transferSyntaxUid) ? row.transferSyntaxUid : ELE;
  if (requested === ELE && !accepted.some((s) => UNCOMPRESSED.includes(s)))
    return { kind: 'failed', reason: 'the caller accepts only other compressed syntaxes' };
  let outgoing: OutgoingInstance;
  try {
    outgoing = await outgoingFor(row, context.services.send, requested, accepted);
  } catch (error) {
    return { kind: 'failed', reason: reasonOf(error, row) };
  }
  return storeOnAssociation(context.network, outgoing, context.signal);
}

/** Sends one C-STORE request through the SCP's own network object and awaits its response. */
function storeOnAssociation(
  network: ScpType,
  outgoing: OutgoingInstance,
  ended: AbortSignal,
): Promise<StoreResult> {
  return new Promise((resolve) => {
    if (ended.aborted) return resolve({ kind: 'failed', reason: 'the association ended' });
    const request = new dimse.requests.CStoreRequest(outgoing.dataset);
    const onEnd = () => resolve({ kind: 'failed', reason: 'the association ended' });
    ended.addEventListener('abort', onEnd, { once: true });
    request.on('response', (response: { getStatus(): number }) => {
      ended.removeEventListener('abort', onEnd);
      const status = response.getStatus();
      resolve(
        isSuccess(status) || isWarning(status)
          ? { kind: 'stored', status }
          : { kind: 'failed', status, reason: `status ${statusHex(status)}` },
      );
    });
    (network as unknown as { sendRequests(r: unknown): void }).sendRequests(request);
  });
}

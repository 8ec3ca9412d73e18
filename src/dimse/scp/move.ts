/**
 * Query/Retrieve C-MOVE SCP (PS3.4 C.4.2), Patient Root and Study Root: the instances the
 * identifier names (retrieve-identifier.ts, resolved by the index) are sent by C-STORE
 * sub-operations on a new association to the Move Destination, which must be a known remote AE
 * (DIMSE_REMOTE_AES gives its host and port; unknown → A801). They go as stored, converted to
 * Explicit VR LE where the destination refuses the stored syntax (scu/send-instances.ts).
 * Pending responses count the sub-operations; C-CANCEL stops before the next batch.
 * Audit: 110104 Instances Transferred for the calling AE, naming the destination.
 */
import { sendInstances } from '../scu/send-instances.js';
import { failureResponse, responseTo } from './responses.js';
import {
  PATIENT_ROOT_MOVE,
  RetrieveStatus,
  retrieveKeys,
  STUDY_ROOT_MOVE,
} from './retrieve-identifier.js';
import { uncompressedSyntax, type ScpService } from './service.js';
import { SubOperations } from './sub-operations.js';

/** Outgoing associations of the sub-operations (DIMSE_SCU_TIMEOUT_SECONDS, DIMSE_SEND_BATCH_BYTES). */
export interface SubOperationOptions {
  timeoutMs: number;
  batchBytes: number;
}

export const DEFAULT_SUB_OPERATION_OPTIONS: SubOperationOptions = {
  timeoutMs: 60_000,
  batchBytes: 64 << 20,
};

export function createMoveService(
  options: SubOperationOptions = DEFAULT_SUB_OPERATION_OPTIONS,
): ScpService {
  return {
    name: 'move',
    handles: (uid) => uid === PATIENT_ROOT_MOVE || uid === STUDY_ROOT_MOVE,
    transferSyntax: uncompressedSyntax,

    async cMove(context, request, respond, cancelled) {
      const destination = String(
        request.getCommandDataset().getElement('MoveDestination') ?? '',
      ).trim();
      const to = context.remoteAes.get(destination);
      if (!to) {
        respond(failureResponse(request, RetrieveStatus.MoveDestinationUnknown, 'unknown AE'));
        return;
      }
      const identifier = request.getDataset()?.getElements() ?? {};
      const keys = retrieveKeys(request.getAffectedSopClassUid(), identifier);
      if (typeof keys === 'string') {
        respond(failureResponse(request, RetrieveStatus.IdentifierDoesNotMatch, keys));
        return;
      }
      const exporter = context.services.send;
      const rows = await exporter.findByKeys(keys, context.actor);
      await exporter.recordStart(context.actor, rows, to, 'instances-transferred');
      const ops = new SubOperations(rows.length);
      const live = () => !context.signal.aborted;
      const summary = await sendInstances(rows, exporter, {
        callingAeTitle: context.aeTitle,
        remote: to,
        timeoutMs: options.timeoutMs,
        batchBytes: options.batchBytes,
        signal: cancelled,
        onResponse: (_uid, result) => {
          ops.record(result);
          if (live()) respond(ops.pending(responseTo(request)));
        },
      });
      const failed = new Set(summary.failed.map((f) => f.sopInstanceUid));
      await exporter.recordFailures(context.actor, rows, failed, to, 'instances-transferred');
      if (live()) respond(ops.final(responseTo(request), summary, cancelled.aborted));
    },
  };
}

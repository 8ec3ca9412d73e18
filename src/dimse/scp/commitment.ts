/**
 * Storage Commitment Push Model SCP (PS3.4 Annex J; SOP Class 1.2.840.10008.1.20.1, the
 * well-known instance 1.2.840.10008.1.20.1.1). An N-ACTION (Action Type 1, Request Storage
 * Commitment) names instances in its Referenced SOP Sequence; it is answered at once, then an
 * N-EVENT-REPORT (J.3.3) says which of them Strata holds durably: Event Type 1 when all are,
 * 2 when some are not, with those in the Failed SOP Sequence (Failure Reason 0112, no such
 * object instance; 0119 class/instance conflict when the SOP class differs from the stored one).
 *
 * "Durably" is what the index says: an instance is indexed only after its blob was made
 * durable (fsync'd file and folder, or a committed object upload; services/store-instances.ts),
 * so an indexed instance is a committed one.
 *
 * The report goes on the same association while it is open (PS3.4 J.3.3.1 allows either);
 * once it has been released, on a new association to the requester's known AE
 * (DIMSE_REMOTE_AES), with Strata in the SCP role of the class (PS3.7 D.3.3.4). A requester
 * that is not a known AE and has gone receives no report (logged).
 */
import type { InstanceRow } from '../../index/retrieve.repository.js';
import { Dataset, type NActionRequest } from '../library.js';
import { dimse, isSuccess, statusHex } from '../scu/dimse-lib.js';
import { acceptedSyntaxes } from '../scu/store-association.js';
import { failureResponse, responseTo } from './responses.js';
import {
  EXPLICIT_LE,
  uncompressedSyntax,
  type AssociationContext,
  type ScpService,
} from './service.js';

export const STORAGE_COMMITMENT_PUSH = '1.2.840.10008.1.20.1';
export const STORAGE_COMMITMENT_INSTANCE = '1.2.840.10008.1.20.1.1';

/** PS3.4 J.3.2.1.1 / J.3.3.1.1 and PS3.7 C.5. */
const REQUEST_COMMITMENT = 1;
const EVENT_ALL_SUCCESS = 1;
const EVENT_SOME_FAILED = 2;
const NO_SUCH_OBJECT = 0x0112;
const CLASS_INSTANCE_CONFLICT = 0x0119;
const NO_SUCH_ACTION_TYPE = 0x0123;
const INVALID_ARGUMENT = 0x0115;
const MISSING_ATTRIBUTE = 0x0120;

interface Reference {
  ReferencedSOPClassUID: string;
  ReferencedSOPInstanceUID: string;
}

export interface CommitmentReport {
  transactionUid: string;
  committed: Reference[];
  failed: Array<Reference & { FailureReason: number }>;
}

export const commitmentService: ScpService = {
  name: 'commitment',
  handles: (uid) => uid === STORAGE_COMMITMENT_PUSH,
  transferSyntax: uncompressedSyntax,

  async nAction(context, request, respond) {
    if (request.getActionTypeId() !== REQUEST_COMMITMENT) {
      respond(failureResponse(request, NO_SUCH_ACTION_TYPE, 'action type 1 only'));
      return;
    }
    const elements = request.getDataset()?.getElements() ?? {};
    const transactionUid = stringOf(elements['TransactionUID']);
    const references = referencesOf(elements['ReferencedSOPSequence']);
    if (!transactionUid || references === undefined) {
      respond(failureResponse(request, MISSING_ATTRIBUTE, 'TransactionUID and references needed'));
      return;
    }
    if (references.length === 0) {
      respond(failureResponse(request, INVALID_ARGUMENT, 'empty Referenced SOP Sequence'));
      return;
    }
    const response = responseTo(request);
    response.setStatus(0);
    respond(response);
    const report = await commitmentOf(context, transactionUid, references);
    await sendReport(context, report, request);
  },
};

/** Which of the references the index holds (with the same SOP class), which not. */
export async function commitmentOf(
  context: Pick<AssociationContext, 'services' | 'actor'>,
  transactionUid: string,
  references: readonly Reference[],
): Promise<CommitmentReport> {
  const rows = await context.services.send.findByKeys(
    { instances: references.map((r) => r.ReferencedSOPInstanceUID) },
    context.actor,
  );
  const stored = new Map<string, InstanceRow>(rows.map((r) => [r.sopInstanceUid, r]));
  const report: CommitmentReport = { transactionUid, committed: [], failed: [] };
  for (const ref of references) {
    const row = stored.get(ref.ReferencedSOPInstanceUID);
    if (row && row.sopClassUid === ref.ReferencedSOPClassUID) report.committed.push(ref);
    else
      report.failed.push({
        ...ref,
        FailureReason: row ? CLASS_INSTANCE_CONFLICT : NO_SUCH_OBJECT,
      });
  }
  return report;
}

function reportRequest(report: CommitmentReport, syntax: string) {
  const request = new dimse.requests.NEventReportRequest(
    STORAGE_COMMITMENT_PUSH,
    STORAGE_COMMITMENT_INSTANCE,
    report.failed.length === 0 ? EVENT_ALL_SUCCESS : EVENT_SOME_FAILED,
  );
  request.setDataset(
    new Dataset(
      {
        TransactionUID: report.transactionUid,
        ...(report.committed.length > 0 ? { ReferencedSOPSequence: report.committed } : {}),
        ...(report.failed.length > 0 ? { FailedSOPSequence: report.failed } : {}),
      },
      syntax,
    ),
  );
  return request;
}

/** The N-EVENT-REPORT: on this association while open, else on a new one to the known AE. */
async function sendReport(
  context: AssociationContext,
  report: CommitmentReport,
  action: NActionRequest,
): Promise<void> {
  const fields = {
    association: context.id,
    committed: report.committed.length,
    failed: report.failed.length,
  };
  if (!context.signal.aborted) {
    const syntax = acceptedSyntaxes(context.association).get(STORAGE_COMMITMENT_PUSH)?.[0];
    const request = reportRequest(report, syntax ?? EXPLICIT_LE);
    const status = await new Promise<number | undefined>((resolve) => {
      const onEnd = () => resolve(undefined);
      context.signal.addEventListener('abort', onEnd, { once: true });
      request.on('response', (r: { getStatus(): number }) => {
        context.signal.removeEventListener('abort', onEnd);
        resolve(r.getStatus());
      });
      (context.network as unknown as { sendRequests(r: unknown): void }).sendRequests(request);
    });
    if (status !== undefined) {
      context.log.info('dimse commitment reported', { ...fields, status: statusHex(status) });
      return;
    }
  }
  const to = context.caller;
  if (!to) {
    context.log.warn('dimse commitment not reported: the requester left and is not a known AE', {
      ...fields,
      messageId: action.getMessageId(),
    });
    return;
  }
  const status = await reportOnNewAssociation(context.aeTitle, to, report);
  const outcome = status !== undefined && isSuccess(status) ? 'reported' : 'report failed';
  context.log.info(`dimse commitment ${outcome} on a new association`, {
    ...fields,
    status: status === undefined ? 'none' : statusHex(status),
  });
}

/** Strata as association requestor in the SCP role of Storage Commitment (PS3.4 J.3.3). */
function reportOnNewAssociation(
  aeTitle: string,
  to: { aeTitle: string; host: string; port: number },
  report: CommitmentReport,
): Promise<number | undefined> {
  return new Promise((resolve) => {
    const client = new dimse.Client();
    const request = reportRequest(report, EXPLICIT_LE);
    let status: number | undefined;
    request.on('response', (r: { getStatus(): number }) => (status = r.getStatus()));
    client.addRequest(request);
    const { PresentationContext } = dimse.association;
    // SCU role no, SCP role yes: the requester receives the report (PS3.7 D.3.3.4).
    client.addAdditionalPresentationContext(
      new PresentationContext(0, STORAGE_COMMITMENT_PUSH, EXPLICIT_LE, undefined, false, true),
    );
    client.on('closed', () => resolve(status));
    client.on('networkError', () => undefined);
    client.send(to.host, to.port, aeTitle, to.aeTitle, {
      connectTimeout: 30_000,
      associationTimeout: 30_000,
      pduTimeout: 30_000,
    });
  });
}

function stringOf(value: unknown): string | undefined {
  const v = Array.isArray(value) ? (value[0] as unknown) : value;
  return typeof v === 'string' && v.trim() !== '' ? v.replace(/\0/g, '').trim() : undefined;
}

/** The items of the Referenced SOP Sequence; undefined when absent or malformed. */
function referencesOf(value: unknown): Reference[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const out: Reference[] = [];
  for (const item of value as Array<Record<string, unknown>>) {
    const cls = stringOf(item['ReferencedSOPClassUID']);
    const instance = stringOf(item['ReferencedSOPInstanceUID']);
    if (!cls || !instance) return undefined;
    out.push({ ReferencedSOPClassUID: cls, ReferencedSOPInstanceUID: instance });
  }
  return out;
}

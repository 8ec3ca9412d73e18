/**
 * One association to a remote Storage SCP carrying C-STORE requests (PS3.4 Annex B, PS3.7 9.1.1)
 * for a batch of instances, one at a time, each with the remote's status.
 *
 * Presentation contexts: dcmjs-dimse proposes, per SOP class, Implicit + Explicit VR LE in one
 * context and a compressed syntax in a context of its own; we add one context per stored
 * uncompressed syntax too, so each stored syntax has a context that is accepted or refused on
 * its own (PS3.8 9.3.2.2). When the association is accepted, an instance held in bytes is sent
 * only on a context accepted with exactly its syntax; the others are taken out of the batch
 * before anything is sent and come back as `syntax-refused`, with what the remote did accept
 * for their SOP class, so the caller can convert them and try again.
 */
import {
  dimse,
  isSuccess,
  isWarning,
  statusHex,
  type DimseAssociation,
  type DimseDataset,
} from './dimse-lib.js';

const { Client } = dimse;
const { CStoreRequest } = dimse.requests;
const { PresentationContext } = dimse.association;
const { PresentationContextResult, TransferSyntax } = dimse.constants;

/** A remote Application Entity (PS3.8 7.1.1.4 / 7.1.1.5). */
export interface RemoteAe {
  aeTitle: string;
  host: string;
  port: number;
}

export interface AssociationOptions {
  /** Our AE title (Calling AE Title). */
  callingAeTitle: string;
  remote: RemoteAe;
  /** Connect, association and per-PDU silence limit, in milliseconds. */
  timeoutMs: number;
  /** Each instance's answer as it comes (C-MOVE/C-GET pending responses count them). */
  onResponse?: ((sopInstanceUid: string, result: StoreResult) => void) | undefined;
}

export interface OutgoingInstance {
  sopClassUid: string;
  sopInstanceUid: string;
  dataset: DimseDataset;
  /**
   * True for bytes that can go only as they are (an EncodedDataset); false for a parsed
   * dataset dcmjs-dimse may rewrite into any accepted uncompressed syntax.
   */
  exact: boolean;
}

export type StoreResult =
  | { kind: 'stored'; status: number }
  | { kind: 'failed'; status?: number; reason: string }
  /** No context accepted this syntax; `accepted` = what the remote took for the SOP class. */
  | { kind: 'syntax-refused'; accepted: string[] };

export const UNCOMPRESSED: readonly string[] = [
  TransferSyntax.ImplicitVRLittleEndian,
  TransferSyntax.ExplicitVRLittleEndian,
  TransferSyntax.ExplicitVRBigEndian,
];

/** Sends the batch on one association; resolves with a result for every instance (by SOP Instance UID). */
export function storeOnAssociation(
  batch: readonly OutgoingInstance[],
  options: AssociationOptions,
): Promise<Map<string, StoreResult>> {
  const results = new Map<string, StoreResult>();
  if (batch.length === 0) return Promise.resolve(results);
  const client = new Client();
  const requests = batch.map((instance) => {
    const request = new CStoreRequest(instance.dataset);
    request.on('response', (response: { getStatus(): number; getErrorComment(): string }) => {
      const status = response.getStatus();
      const result: StoreResult =
        isSuccess(status) || isWarning(status)
          ? { kind: 'stored', status }
          : { kind: 'failed', status, reason: `status ${statusHex(status)}` };
      results.set(instance.sopInstanceUid, result);
      options.onResponse?.(instance.sopInstanceUid, result);
    });
    client.addRequest(request);
    return { instance, request };
  });
  for (const [sopClassUid, syntax] of exactPairs(batch)) {
    client.addAdditionalPresentationContext(new PresentationContext(0, sopClassUid, syntax), true);
  }
  return new Promise((resolve) => {
    let failure: string | undefined;
    client.on('associationAccepted', (association: DimseAssociation) => {
      const accepted = acceptedSyntaxes(association);
      client.clearRequests();
      for (const { instance, request } of requests) {
        const forClass = accepted.get(instance.sopClassUid) ?? [];
        const syntax = instance.dataset.getTransferSyntaxUid();
        const sendable = instance.exact
          ? forClass.includes(syntax)
          : forClass.some((s) => UNCOMPRESSED.includes(s));
        if (sendable) client.addRequest(request);
        else results.set(instance.sopInstanceUid, { kind: 'syntax-refused', accepted: forClass });
      }
      // An empty queue is fine here: dcmjs-dimse then releases the association at once.
    });
    client.on(
      'associationRejected',
      (reject: { result: number; source: number; reason: number }) => {
        failure = `association rejected (result ${reject.result}, source ${reject.source}, reason ${reject.reason})`;
      },
    );
    client.on('networkError', (error: Error) => {
      failure ??= `network error: ${error.message}`;
    });
    client.on('closed', () => {
      for (const { instance } of requests) {
        if (!results.has(instance.sopInstanceUid))
          results.set(instance.sopInstanceUid, {
            kind: 'failed',
            reason: failure ?? 'no response before the association ended',
          });
      }
      resolve(results);
    });
    client.send(
      options.remote.host,
      options.remote.port,
      options.callingAeTitle,
      options.remote.aeTitle,
      {
        connectTimeout: options.timeoutMs,
        associationTimeout: options.timeoutMs,
        pduTimeout: options.timeoutMs,
      },
    );
  });
}

/** (SOP class, syntax) pairs of instances held in uncompressed bytes: their own contexts. */
function exactPairs(batch: readonly OutgoingInstance[]): Array<[string, string]> {
  const pairs = new Map<string, [string, string]>();
  for (const i of batch) {
    const syntax = i.dataset.getTransferSyntaxUid();
    if (i.exact && UNCOMPRESSED.includes(syntax))
      pairs.set(`${i.sopClassUid} ${syntax}`, [i.sopClassUid, syntax]);
  }
  return [...pairs.values()];
}

/** Accepted transfer syntaxes per abstract syntax (SOP class) of an accepted association. */
export function acceptedSyntaxes(association: DimseAssociation): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const { context } of association.getPresentationContexts()) {
    const syntax = context.getAcceptedTransferSyntaxUid();
    if (context.getResult() !== PresentationContextResult.Accept || !syntax) continue;
    const list = out.get(context.getAbstractSyntaxUid()) ?? [];
    if (!list.includes(syntax)) list.push(syntax);
    out.set(context.getAbstractSyntaxUid(), list);
  }
  return out;
}

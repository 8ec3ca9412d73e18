/**
 * One association, server side: negotiation (who may call, which presentation contexts), then
 * each request handed to the ScpService that answers its SOP class (service.ts). The protocol
 * itself (PDUs, fragments, message framing) is the library's (library.ts).
 */
import type { Socket } from 'node:net';
import { Writable } from 'node:stream';
import type { AuditEvent, AuditSink } from '../../audit/event.js';
import type { Logger } from '../../lib/log.js';
import type { Services } from '../../services/services.js';
import {
  Abort,
  Dataset,
  Reject,
  Scp,
  Status,
  constants,
  type Association,
  type CCancelRequest,
  type CEchoRequest,
  type CFindRequest,
  type CGetRequest,
  type CMoveRequest,
  type CStoreRequest,
  type DatasetType,
  type DimseRequest,
  type NActionRequest,
  type PresentationContext,
} from '../library.js';
import type { DimseObserver, DimseService } from '../observer.js';
import type { DimseOptions, RemoteAe } from '../options.js';
import { aeActor } from './actor.js';
import type { AssociationContext, Respond, ScpService, StoreSink } from './service.js';
import { failureResponse } from './responses.js';

/** What every association of one listener shares. */
export interface ScpDeps {
  options: DimseOptions;
  remoteAes: ReadonlyMap<string, RemoteAe>;
  scpServices: readonly ScpService[];
  services: Services;
  audit: AuditSink;
  log: Logger;
  /** Whether one more association fits under DIMSE_MAX_ASSOCIATIONS (counts this one). */
  admit(): boolean;
  newId(): string;
  /** Told of association outcomes and each request's final status (metrics/). */
  observer?: DimseObserver | undefined;
}

/** Handed to the library in place of a parsed C-STORE dataset: the bytes went to the ingest. */
const STREAMED: DatasetType = new Dataset();

export class StrataScp extends Scp {
  private context: AssociationContext | undefined;
  private readonly ended = new AbortController();
  /** C-STORE datasets being received, by request. */
  private readonly sinks = new Map<CStoreRequest, StoreSink>();
  /** C-FIND/C-MOVE/C-GET in progress, by message id, for C-CANCEL. */
  private readonly cancels = new Map<number, AbortController>();

  constructor(
    private readonly socketOf: Socket,
    opts: ConstructorParameters<typeof Scp>[1],
    private readonly deps: ScpDeps,
  ) {
    super(socketOf, opts);
    this.socketOf.once('close', () => this.end(new Error('association ended')));
  }

  /** The association is over: stop its work and fail the datasets still arriving. */
  private end(reason: Error): void {
    if (this.ended.signal.aborted) return;
    this.ended.abort(reason);
    for (const sink of this.sinks.values()) sink.abort(reason);
    this.sinks.clear();
  }

  override associationRequested(association: Association): void {
    void this.negotiate(association).catch((error: unknown) => {
      this.deps.log.error('dimse association failed', { error });
      this.reject(Reject.transient, Reject.serviceUser, Reject.noReasonGiven);
    });
  }

  private async negotiate(association: Association): Promise<void> {
    const { options, remoteAes, log } = this.deps;
    const calling = association.getCallingAeTitle().trim();
    const called = association.getCalledAeTitle().trim();
    const caller = remoteAes.get(calling);
    const id = this.deps.newId();
    const actor = aeActor(calling, this.socketOf.remoteAddress, id);
    const alert = (outcome: 0 | 4, detail: Record<string, string | number>): AuditEvent => ({
      type: 'security-alert',
      subtype: 'node-authentication',
      action: 'E',
      outcome,
      user: actor.user,
      ...(actor.clientAddress !== undefined ? { clientAddress: actor.clientAddress } : {}),
      requestId: id,
      detail: { protocol: 'dimse', calledAe: called, ...detail },
    });
    const refuse = async (
      result: number,
      source: number,
      reason: number,
      why: 'called-ae' | 'calling-ae' | 'association-limit',
    ) => {
      log.warn('dimse association rejected', { association: id, callingAe: calling, why });
      this.deps.observer?.association(why);
      await this.deps.audit.record(alert(4, { rejected: why })).catch((error: unknown) => {
        log.error('dimse rejection not audited', { association: id, error });
      });
      this.reject(result, source, reason);
    };
    // PS3.8 9.3.4: the reasons are the service-user's (AE titles) or the provider's (limits).
    if (called !== options.aeTitle) {
      return refuse(
        Reject.permanent,
        Reject.serviceUser,
        Reject.calledAeNotRecognized,
        'called-ae',
      );
    }
    if (!caller && !options.acceptUnknownAes) {
      return refuse(
        Reject.permanent,
        Reject.serviceUser,
        Reject.callingAeNotRecognized,
        'calling-ae',
      );
    }
    if (!this.deps.admit()) {
      return refuse(
        Reject.transient,
        Reject.serviceProviderPresentation,
        Reject.localLimitExceeded,
        'association-limit',
      );
    }
    const accepted = this.negotiateContexts(association);
    // The library keeps one maximum PDU length per association: the one it writes into the
    // A-ASSOCIATE-AC (ours) and the one it cuts outgoing P-DATA by. The peer's (from the
    // A-ASSOCIATE-RQ, PS3.8 D.1) is put back once the accept is sent, so what we send (C-GET
    // sub-operations, C-FIND matches) never exceeds what the peer said it can receive.
    const peerMaxPduLength = association.getMaxPduLength();
    association.setMaxPduLength(options.maxPduLength);
    this.context = {
      id,
      callingAeTitle: calling,
      calledAeTitle: called,
      aeTitle: options.aeTitle,
      caller,
      remoteAes,
      actor,
      signal: this.ended.signal,
      association,
      network: this,
      services: this.deps.services,
      log,
    };
    // An association that cannot be recorded is not accepted (the trail is the record of who
    // connected); the peer may retry.
    await this.deps.audit.record(alert(0, { contexts: accepted }));
    this.deps.observer?.association('accepted');
    log.info('dimse association accepted', {
      association: id,
      callingAe: calling,
      contexts: accepted,
    });
    this.sendAssociationAccept();
    association.setMaxPduLength(peerMaxPduLength);
  }

  /** Each proposed context: the first service answering its abstract syntax picks the syntax. */
  private negotiateContexts(association: Association): number {
    const { PresentationContextResult } = constants;
    let accepted = 0;
    for (const { context } of association.getPresentationContexts()) {
      const uid = context.getAbstractSyntaxUid();
      const service = this.deps.scpServices.find((s) => s.handles(uid));
      if (!service) {
        context.setResult(PresentationContextResult.RejectAbstractSyntaxNotSupported);
        continue;
      }
      const syntax = service.transferSyntax(context.getTransferSyntaxUids(), uid);
      if (syntax === undefined) {
        context.setResult(PresentationContextResult.RejectTransferSyntaxesNotSupported);
        continue;
      }
      context.setResult(PresentationContextResult.Accept, syntax);
      accepted++;
    }
    return accepted;
  }

  private reject(result: number, source: number, reason: number): void {
    this.sendAssociationReject(result, source, reason);
    // The peer closes after reading it; a peer that does not is cut off shortly after.
    setTimeout(() => this.socketOf.destroy(), 1000).unref();
  }

  override associationReleaseRequested(): void {
    this.sendAssociationReleaseResponse();
    this.end(new Error('association released'));
  }

  override abort(): void {
    this.deps.log.info('dimse association aborted by peer', { association: this.context?.id });
    this.end(new Error('association aborted'));
    this.socketOf.destroy();
  }

  /** Sends an A-ABORT (service provider) and closes: a protocol error on our side of the wire. */
  abortAssociation(reason: number = Abort.notSpecified): void {
    try {
      this.sendAbort(Abort.serviceProvider, reason);
    } catch {
      // No association yet: the library refuses to send; closing is all that is left.
    }
    this.end(new Error('association aborted'));
    this.socketOf.destroy();
  }

  /** The service for a request's SOP class that has the handler, or undefined. */
  private serviceFor(request: DimseRequest, has: keyof ScpService): ScpService | undefined {
    // DIMSE-N requests name their class as Requested SOP Class UID (0000,0003), PS3.7 10.1.
    const uid = request.getAffectedSopClassUid() || request.getRequestedSopClassUid();
    return this.deps.scpServices.find((s) => s[has] !== undefined && s.handles(uid));
  }

  /**
   * Runs a handler; a handler that throws answers the request with a failure (its status says
   * the service failed, not the peer), so one bad request never takes the association down.
   */
  private run(
    name: DimseService,
    request: DimseRequest,
    respond: Respond,
    handler: ((context: AssociationContext) => Promise<void>) | undefined,
  ): void {
    const context = this.context;
    if (!context || !handler) {
      respond(failureResponse(request, Status.UnrecognizedOperation));
      return;
    }
    handler(context).catch((error: unknown) => {
      this.deps.log.error('dimse request failed', {
        association: context.id,
        service: name,
        error,
      });
      if (!this.ended.signal.aborted) respond(failureResponse(request, Status.ProcessingFailure));
    });
  }

  /**
   * Responses go out through sendResponse, not the library's callback: the callback may be
   * called once only, and C-FIND/C-MOVE/C-GET send many (pending, then final).
   */
  private responder(request: DimseRequest, service: DimseService): Respond {
    const started = performance.now();
    return (responses) => {
      if (this.ended.signal.aborted) return;
      for (const response of [responses].flat()) {
        this.sendResponse(request, response);
        const status = response.getStatus();
        // Pending (FF00, FF01) responses precede the final one, which is what is counted.
        if (status !== 0xff00 && status !== 0xff01) {
          this.deps.observer?.operation(service, status, (performance.now() - started) / 1000);
        }
      }
    };
  }

  override cEchoRequest(request: CEchoRequest, _callback: unknown): void {
    const service = this.serviceFor(request, 'cEcho');
    const respond = this.responder(request, 'echo');
    this.run('echo', request, respond, service && ((c) => service.cEcho!(c, request, respond)));
  }

  override cFindRequest(request: CFindRequest, _callback: unknown): void {
    const service = this.serviceFor(request, 'cFind');
    const respond = this.responder(request, 'find');
    const cancel = this.cancellable(request);
    this.run(
      'find',
      request,
      respond,
      service && ((c) => this.untilDone(request, service.cFind!(c, request, respond, cancel))),
    );
  }

  override cMoveRequest(request: CMoveRequest, _callback: unknown): void {
    const service = this.serviceFor(request, 'cMove');
    const respond = this.responder(request, 'move');
    const cancel = this.cancellable(request);
    this.run(
      'move',
      request,
      respond,
      service && ((c) => this.untilDone(request, service.cMove!(c, request, respond, cancel))),
    );
  }

  override cGetRequest(request: CGetRequest, _callback: unknown): void {
    const service = this.serviceFor(request, 'cGet');
    const respond = this.responder(request, 'get');
    const cancel = this.cancellable(request);
    this.run(
      'get',
      request,
      respond,
      service && ((c) => this.untilDone(request, service.cGet!(c, request, respond, cancel))),
    );
  }

  override nActionRequest(request: NActionRequest, _callback: unknown): void {
    const service = this.serviceFor(request, 'nAction');
    const respond = this.responder(request, 'action');
    this.run('action', request, respond, service && ((c) => service.nAction!(c, request, respond)));
  }

  /** A signal C-CANCEL (or the association's end) aborts, for one C-FIND/C-MOVE/C-GET. */
  private cancellable(request: DimseRequest): AbortSignal {
    const controller = new AbortController();
    this.cancels.set(request.getMessageId(), controller);
    return AbortSignal.any([controller.signal, this.ended.signal]);
  }

  private async untilDone(request: DimseRequest, work: Promise<void>): Promise<void> {
    try {
      await work;
    } finally {
      this.cancels.delete(request.getMessageId());
    }
  }

  override cCancelRequest(request: CCancelRequest): void {
    this.cancels.get(request.getMessageIdBeingRespondedTo())?.abort(new Error('C-CANCEL'));
  }

  // C-STORE: the dataset streams into the service's sink as it arrives (library.ts).

  override createStoreWritableStream(
    presentationContext: PresentationContext,
    request: CStoreRequest,
  ): Writable {
    const service = this.serviceFor(request, 'storeSink');
    const context = this.context;
    const sink =
      service && context ? service.storeSink!(context, request, presentationContext) : undefined;
    if (sink) this.sinks.set(request, sink);
    return sinkWritable(sink, this.socketOf);
  }

  override createDatasetFromStoreWritableStream(
    _writable: unknown,
    _presentationContext: PresentationContext,
    callback: (dataset: DatasetType) => void,
  ): void {
    callback(STREAMED);
  }

  override cStoreRequest(request: CStoreRequest, _callback: unknown): void {
    const service = this.serviceFor(request, 'cStore');
    const respond = this.responder(request, 'store');
    this.sinks.delete(request);
    this.run('store', request, respond, service && ((c) => service.cStore!(c, request, respond)));
  }
}

/**
 * The writable the library writes a C-STORE dataset's fragments to. It never reports itself
 * full (the library's wait for 'drain' can reorder the PDVs of one PDU): when the sink is behind,
 * the socket is paused instead, which is real backpressure down to the peer's TCP window.
 */
function sinkWritable(sink: StoreSink | undefined, socket: Socket): Writable {
  return new Writable({
    highWaterMark: 2 ** 30,
    write(chunk: Buffer, _encoding, callback) {
      if (sink && !sink.write(chunk)) {
        socket.pause();
        void sink.drained().then(() => socket.resume());
      }
      callback();
    },
    final(callback) {
      sink?.end();
      callback();
    },
  });
}

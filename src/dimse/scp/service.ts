/**
 * What one DIMSE service of the SCP is: the abstract syntaxes it answers, the transfer syntax it
 * accepts for them, and its message handlers. scp.ts negotiates each presentation context with
 * the first service that handles its abstract syntax, and hands each request to the first
 * service that handles the request's SOP class and has a handler for its command. A new service
 * (C-MOVE, C-GET, Storage Commitment) is one file exporting one of these, added to the list in
 * server.ts `defaultServices()` — nothing else changes.
 */
import type { Actor } from '../../services/actor.js';
import type { Services } from '../../services/services.js';
import type { Logger } from '../../lib/log.js';
import type {
  Association,
  CEchoRequest,
  CFindRequest,
  CGetRequest,
  CMoveRequest,
  CStoreRequest,
  DimseResponse,
  NActionRequest,
  PresentationContext,
  ScpType,
} from '../library.js';
import type { RemoteAe } from '../options.js';

/** One association, as the handlers see it. */
export interface AssociationContext {
  /** A ULID naming the association in logs and audit records (requestId). */
  id: string;
  callingAeTitle: string;
  calledAeTitle: string;
  /** Our own AE title. */
  aeTitle: string;
  /** The calling node as a known remote AE, when it is one. */
  caller: RemoteAe | undefined;
  /** Every known remote AE (C-MOVE destinations). */
  remoteAes: ReadonlyMap<string, RemoteAe>;
  /** The calling AE as the audit trail and the services see it. */
  actor: Actor;
  /** Aborted when the association ends (released, aborted, connection lost, server stopping). */
  signal: AbortSignal;
  association: Association;
  /** The library's network object: C-GET sends its C-STORE sub-operations through it. */
  network: ScpType;
  services: Services;
  log: Logger;
}

/** Sends responses; may be called many times (pending responses, then the final one). */
export type Respond = (responses: DimseResponse | DimseResponse[]) => void;

export interface ScpService {
  /** For logs and metrics: `echo`, `store`, `find`, … */
  name: string;
  /** Whether this service answers the abstract syntax (SOP class) `uid`. */
  handles(uid: string): boolean;
  /**
   * The transfer syntax to accept among the ones the peer proposed for `abstractSyntax`, in the
   * peer's order; undefined refuses the context (transfer syntaxes not supported).
   */
  transferSyntax(proposed: readonly string[], abstractSyntax: string): string | undefined;
  cEcho?(context: AssociationContext, request: CEchoRequest, respond: Respond): Promise<void>;
  cFind?(
    context: AssociationContext,
    request: CFindRequest,
    respond: Respond,
    cancelled: AbortSignal,
  ): Promise<void>;
  /** Runs once the dataset has arrived in full through `storeSink`. */
  cStore?(context: AssociationContext, request: CStoreRequest, respond: Respond): Promise<void>;
  cMove?(
    context: AssociationContext,
    request: CMoveRequest,
    respond: Respond,
    cancelled: AbortSignal,
  ): Promise<void>;
  cGet?(
    context: AssociationContext,
    request: CGetRequest,
    respond: Respond,
    cancelled: AbortSignal,
  ): Promise<void>;
  nAction?(context: AssociationContext, request: NActionRequest, respond: Respond): Promise<void>;
  /**
   * C-STORE only: where the dataset's bytes go as they arrive (scp.ts calls it when the
   * dataset's first fragment comes). The service returns a sink; `cStore` runs once the last
   * fragment is in.
   */
  storeSink?(
    context: AssociationContext,
    request: CStoreRequest,
    presentationContext: PresentationContext,
  ): StoreSink;
}

/** Where one C-STORE dataset streams to (store.ts). */
export interface StoreSink {
  /** False: the ingest is behind; the socket is paused until `drained()` resolves. */
  write(chunk: Buffer): boolean;
  drained(): Promise<void>;
  end(): void;
  /** The association ended before the dataset did. */
  abort(reason: Error): void;
}

/** Explicit VR Little Endian first, then Implicit (the default every peer proposes). */
export const EXPLICIT_LE = '1.2.840.10008.1.2.1';
export const IMPLICIT_LE = '1.2.840.10008.1.2';

/** For services whose messages are small datasets: the uncompressed syntaxes, explicit first. */
export function uncompressedSyntax(proposed: readonly string[]): string | undefined {
  if (proposed.includes(EXPLICIT_LE)) return EXPLICIT_LE;
  if (proposed.includes(IMPLICIT_LE)) return IMPLICIT_LE;
  return undefined;
}

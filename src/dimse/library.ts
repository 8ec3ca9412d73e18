/**
 * The DIMSE library, imported in this one place.
 *
 * Why dcmjs-dimse (0.3.x, MIT): it is the one maintained DIMSE implementation for Node.js (a
 * port of fo-dicom's network layer over dcmjs): association negotiation (presentation contexts,
 * role selection, user identity), every DIMSE-C and DIMSE-N message as SCP and SCU, and DICOM
 * TLS through Node's `tls`. The alternatives are older and unmaintained (dicom-dimse,
 * node-dicom) or a child process (dcmtk), which would put the ingest outside our pipeline.
 *
 * Its limits, and what Strata does about each (dimse/server.ts, dimse/scp/scp.ts):
 * - Its `Server` binds only a port (no address), does not report the port it got, has no
 *   association limit and logs peer addresses through `loglevel` at trace level by default. We
 *   run our own `net`/`tls` server and hand each socket to an `Scp`, and silence its log.
 * - Datasets of C-STORE are accumulated in memory by default. `createStoreWritableStream` lets
 *   us stream them instead: Strata pipes the P-DATA fragments straight into the STOW ingest.
 *   Every other message (C-FIND identifiers, commands) is buffered whole, which is fine at
 *   their size.
 * - It never pauses the socket: backpressure is ours (we pause the socket while the ingest is
 *   behind), and its `drain` wait can reorder PDVs of one PDU, so our writable never asks it to
 *   wait.
 * - It does not enforce the maximum PDU length it announces: a peer may announce a 4 GiB PDU and
 *   it buffers towards that. Our PDU guard (pdu-guard.ts) aborts such peers at the header.
 * - Its association timer never runs for server-side sockets (`connectedTime` is never set);
 *   the socket idle timeout (`connectTimeout`, then ours) is what ends silent peers.
 * - Its request handlers answer through a callback that may be called once only; C-FIND,
 *   C-MOVE and C-GET send many responses, so every response goes out through `sendResponse`
 *   instead (scp.ts), pending ones one by one, and C-CANCEL can stop a stream part-way.
 */
import dcmjsDimse from 'dcmjs-dimse';
import type { association, requests, responses } from 'dcmjs-dimse';

export const { Scp, Dataset, constants } = dcmjsDimse;
export const { CEchoResponse, CFindResponse, CStoreResponse } = dcmjsDimse.responses;

// Its log goes to the console at trace level (peer addresses, association dumps) and is not
// JSON: our own log lines say what matters, without PHI.
dcmjsDimse.log.setLevel('silent');

export type Association = association.Association;
export type PresentationContext = association.PresentationContext;
export type DimseRequest = requests.Request;
export type CEchoRequest = requests.CEchoRequest;
export type CFindRequest = requests.CFindRequest;
export type CStoreRequest = requests.CStoreRequest;
export type CCancelRequest = requests.CCancelRequest;
export type CMoveRequest = requests.CMoveRequest;
export type CGetRequest = requests.CGetRequest;
export type NActionRequest = requests.NActionRequest;
export type DimseResponse = responses.Response;
export type CFindResponse = responses.CFindResponse;
export type DatasetType = InstanceType<typeof Dataset>;
export type ScpType = InstanceType<typeof Scp>;

/** DIMSE status codes (PS3.7 Annex C, PS3.4 B.2.3 and C.4). */
export const Status = {
  Success: 0x0000,
  /** PS3.4 C.4.1.1.4: matching stopped by C-CANCEL. */
  Cancel: 0xfe00,
  /** PS3.4 C.4.1.1.4: a match follows, more may come. */
  Pending: 0xff00,
  /** PS3.7 C.4.2: Processing failure. */
  ProcessingFailure: 0x0110,
  /** PS3.7 C.5.7: No such SOP class. */
  NoSuchSopClass: 0x0118,
  /** PS3.7 C.5.11: Unrecognized operation. */
  UnrecognizedOperation: 0x0211,
  /** PS3.4 C.4.1.1.4: Refused: Out of Resources (C-FIND). */
  FindOutOfResources: 0xa700,
  /** PS3.4 C.4.1.1.4: Identifier does not match SOP Class. */
  IdentifierDoesNotMatch: 0xa900,
  /** PS3.4 C.4.1.1.4: Unable to process (Cxxx). */
  UnableToProcess: 0xc000,
} as const;

/** A-ASSOCIATE-RJ values (PS3.8 9.3.4). */
export const Reject = {
  permanent: 1,
  transient: 2,
  /** Source: DICOM UL service-user. */
  serviceUser: 1,
  /** Source: DICOM UL service-provider (presentation related function). */
  serviceProviderPresentation: 3,
  noReasonGiven: 1,
  callingAeNotRecognized: 3,
  calledAeNotRecognized: 7,
  /** With source 3. */
  localLimitExceeded: 2,
} as const;

/** A-ABORT source and reason (PS3.8 9.3.8). */
export const Abort = {
  serviceUser: 0,
  serviceProvider: 2,
  notSpecified: 0,
  unrecognizedPdu: 1,
  unexpectedPdu: 2,
  invalidPduParameter: 6,
} as const;

export const VERIFICATION_SOP_CLASS = '1.2.840.10008.1.1';

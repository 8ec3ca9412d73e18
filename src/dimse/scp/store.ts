/**
 * Storage Service Class SCP (PS3.4 Annex B): every storage SOP class, each instance through the
 * same ingest as STOW-RS (Services.stow: durability, duplicate policy, audit 110104), streamed.
 *
 * The dataset's P-DATA fragments are written, as they arrive, behind a Part 10 head
 * (part10-meta.ts) into the stream STOW would read from an HTTP part; the C-STORE response goes
 * out once the instance is durable and indexed (or refused), with the status of its outcome.
 */
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import { findTransferSyntax } from '../../dicom/transfer-syntax.js';
import type { StoreManyResult } from '../../services/store-many.js';
import dcmjsDimse from 'dcmjs-dimse';
import { CStoreResponse, type CStoreRequest } from '../library.js';
import { part10Head } from '../part10-meta.js';
import type { AssociationContext, ScpService, StoreSink } from './service.js';
import { EXPLICIT_LE, IMPLICIT_LE } from './service.js';
import { storeStatus } from './store-status.js';

/** Storage SOP classes outside the 1.2.840.10008.5.1.4.1.1 arc (PS3.4 B.5, PS3.6 A.1). */
const OTHER_STORAGE_CLASSES = new Set([
  '1.2.840.10008.5.1.4.34.7', // RT Beams Delivery Instruction
  '1.2.840.10008.5.1.4.34.10', // RT Brachy Application Setup Delivery Instruction
  '1.2.840.10008.5.1.4.38.1', // Hanging Protocol
  '1.2.840.10008.5.1.4.39.1', // Color Palette
  '1.2.840.10008.5.1.4.43.1', // Generic Implant Template
  '1.2.840.10008.5.1.4.44.1', // Implant Assembly Template
  '1.2.840.10008.5.1.4.45.1', // Implant Template Group
]);

/** PS3.4 B.5: the storage SOP classes; anything else is refused at negotiation. */
export function isStorageSopClass(uid: string): boolean {
  return uid.startsWith('1.2.840.10008.5.1.4.1.1.') || OTHER_STORAGE_CLASSES.has(uid);
}

/**
 * The peer's order decides between encodings, since the peer proposes what its data are or
 * what it can produce: the first proposed syntax Strata knows is accepted, and a compressed one
 * is stored as received (no transcoding on either side; a sender such as storescu proposes a
 * JPEG file's syntax first). Among the uncompressed syntaxes, Explicit VR Little Endian is
 * preferred whenever it is proposed (PS3.5 A.2: keeps VRs, the encoding Strata transcodes to).
 */
export function storageSyntax(proposed: readonly string[]): string | undefined {
  const first = proposed.find((uid) => findTransferSyntax(uid) !== undefined);
  if (first === undefined || !UNCOMPRESSED.has(first)) return first;
  return proposed.includes(EXPLICIT_LE) ? EXPLICIT_LE : first;
}

/** Native syntaxes (PS3.5 A.1–A.3): the sender can convert between them. */
const UNCOMPRESSED = new Set([IMPLICIT_LE, EXPLICIT_LE, '1.2.840.10008.1.2.2']);

/** Bytes held between the socket and the ingest before the socket is paused. */
const BUFFER_BYTES = 1024 * 1024;

type Settled = { result: StoreManyResult } | { error: unknown };

/** The store in flight for each C-STORE request (set by storeSink, read by cStore). */
const inFlight = new WeakMap<CStoreRequest, Promise<Settled>>();

export const storeService: ScpService = {
  name: 'store',
  handles: isStorageSopClass,
  transferSyntax: storageSyntax,

  storeSink(context: AssociationContext, request, presentationContext): StoreSink {
    const { Implementation } = dcmjsDimse;
    const body = new PassThrough({ highWaterMark: BUFFER_BYTES });
    body.write(
      part10Head({
        sopClassUid: request.getAffectedSopClassUid(),
        sopInstanceUid: request.getAffectedSopInstanceUid(),
        transferSyntaxUid: presentationContext.getAcceptedTransferSyntaxUid() ?? IMPLICIT_LE,
        implementationClassUid: Implementation.getImplementationClassUid(),
        implementationVersion: Implementation.getImplementationVersion(),
        sourceAeTitle: context.callingAeTitle,
      }),
    );
    const settled = context.services.stow.store([{ body }], { actor: context.actor }).then(
      (result): Settled => ({ result }),
      (error: unknown): Settled => ({ error }),
    );
    inFlight.set(request, settled);
    return {
      write: (chunk) => body.write(chunk),
      drained: async () => {
        if (body.writableNeedDrain) await once(body, 'drain');
      },
      end: () => body.end(),
      abort: (reason) => body.destroy(reason),
    };
  },

  async cStore(context, request, respond) {
    const settled = await inFlight.get(request);
    inFlight.delete(request);
    const response = CStoreResponse.fromRequest(request);
    let answer: { status: number; comment?: string };
    if (settled === undefined) answer = storeStatus(undefined);
    else if ('error' in settled) {
      // Stored (durably) but the audit record could not be written, or the ingest failed
      // outside any one instance: the sender retries later, and a retry is idempotent.
      context.log.error('dimse store failed', { association: context.id, error: settled.error });
      answer = storeStatus({ error: settled.error });
    } else answer = storeStatus(settled.result.parts[0]);
    response.setStatus(answer.status);
    if (answer.status !== 0 && answer.comment !== undefined) {
      response.setErrorComment(answer.comment.slice(0, 64));
    }
    respond(response);
  },
};

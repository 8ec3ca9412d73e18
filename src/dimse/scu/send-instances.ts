/**
 * `strata send` and C-MOVE/C-GET sub-operations as an SCU: stored instances to a remote Storage
 * SCP, batch by batch, each batch on one association (store-association.ts).
 *
 * Each instance is offered in its stored transfer syntax and sent as stored, byte for byte
 * after its File Meta group (PS3.7 9.3.1.1: the Data Set without File Meta Information). An
 * instance whose syntax the remote refuses is converted where WADO-RS can convert it (Explicit
 * VR Little Endian by transcoding or decoding, services/retrieve-syntax.ts) and sent again on a
 * second association; what cannot be converted, or is refused again, fails with the reason.
 *
 * Memory: dcmjs-dimse writes a data set from one buffer, so an instance is held whole while it
 * is sent; a batch is loaded before its association opens and is bounded by `batchBytes`
 * (at least one instance). Associations are short: a remote's association limits and idle
 * timeouts never meet a long study.
 */
import type { Readable } from 'node:stream';
import type { InstanceRow } from '../../index/retrieve.repository.js';
import { NotAcceptableError } from '../../services/errors.js';
import { dimse, EncodedDataset } from './dimse-lib.js';
import {
  storeOnAssociation,
  type AssociationOptions,
  type OutgoingInstance,
  type StoreResult,
} from './store-association.js';

const ELE = dimse.constants.TransferSyntax.ExplicitVRLittleEndian;

/** What sending needs of the services (services/send-instances.ts). */
export interface InstanceBytes {
  open(row: InstanceRow, requested: string): Promise<{ body: Readable; transferSyntaxUid: string }>;
}

export interface SendOptions extends AssociationOptions {
  /** Bytes loaded per association at most (one instance always goes). */
  batchBytes: number;
  /** Stops before the next batch (C-CANCEL, association gone); the rest count as not sent. */
  signal?: AbortSignal | undefined;
}

export interface SendFailure {
  sopInstanceUid: string;
  reason: string;
}

export interface SendSummary {
  instances: number;
  /** Stored by the remote (success or warning status). */
  stored: number;
  /** Of `stored`: answered with a warning status (PS3.4 B.2.3, e.g. B000 coercion). */
  warnings: number;
  /** Of `stored`: sent converted to Explicit VR LE, the stored syntax being refused. */
  converted: number;
  failed: SendFailure[];
  /** Data set bytes sent (excluding PDU framing). */
  bytes: number;
  associations: number;
  /** Not attempted: the signal stopped the send first. */
  notSent: string[];
}

/** A summary with nothing sent yet (also C-GET's, which sends on the caller's association). */
export function emptySummary(instances: number): SendSummary {
  return {
    instances,
    stored: 0,
    warnings: 0,
    converted: 0,
    failed: [],
    bytes: 0,
    associations: 0,
    notSent: [],
  };
}

/** Sends `rows` to the remote; never throws for an instance's failure (it is in `failed`). */
export async function sendInstances(
  rows: readonly InstanceRow[],
  source: InstanceBytes,
  options: SendOptions,
): Promise<SendSummary> {
  const summary = emptySummary(rows.length);
  for (const batch of batches(rows, options.batchBytes)) {
    if (options.signal?.aborted) {
      summary.notSent.push(...batch.map((r) => r.sopInstanceUid));
      continue;
    }
    const asStored = await loadAll(batch, source, (row) => row.transferSyntaxUid, summary);
    const first = await storeOnAssociation(asStored, options);
    summary.associations++;
    const refused = tally(batch, first, summary, false);
    if (refused.length === 0) continue;
    const converted = await loadAll(
      refused.map((r) => r.row),
      source,
      () => ELE,
      summary,
      refused,
    );
    const second = await storeOnAssociation(converted, options);
    summary.associations++;
    for (const again of tally(
      refused.map((r) => r.row),
      second,
      summary,
      true,
    ))
      summary.failed.push({
        sopInstanceUid: again.row.sopInstanceUid,
        reason: 'the remote refused the converted transfer syntax too',
      });
  }
  return summary;
}

interface Refused {
  row: InstanceRow;
  accepted: string[];
}

/** Counts results; returns the instances refused for their syntax (to convert). */
function tally(
  rows: readonly InstanceRow[],
  results: Map<string, StoreResult>,
  summary: SendSummary,
  converted: boolean,
): Refused[] {
  const refused: Refused[] = [];
  for (const row of rows) {
    const result = results.get(row.sopInstanceUid);
    if (!result) continue; // failed while loading: already counted
    switch (result.kind) {
      case 'stored':
        summary.stored++;
        if (result.status !== 0) summary.warnings++;
        if (converted) summary.converted++;
        break;
      case 'failed':
        summary.failed.push({ sopInstanceUid: row.sopInstanceUid, reason: result.reason });
        break;
      case 'syntax-refused':
        if (result.accepted.length === 0)
          summary.failed.push({
            sopInstanceUid: row.sopInstanceUid,
            reason: 'the remote accepts no presentation context for its SOP class',
          });
        else refused.push({ row, accepted: result.accepted });
        break;
    }
  }
  return refused;
}

/** Loads each row's data set in `syntaxOf(row)`; a row that cannot be loaded is a failure. */
async function loadAll(
  rows: readonly InstanceRow[],
  source: InstanceBytes,
  syntaxOf: (row: InstanceRow) => string,
  summary: SendSummary,
  refused?: readonly Refused[],
): Promise<OutgoingInstance[]> {
  const out: OutgoingInstance[] = [];
  for (const [index, row] of rows.entries()) {
    try {
      const outgoing = await outgoingFor(row, source, syntaxOf(row), refused?.[index]?.accepted);
      summary.bytes += outgoing.bytes;
      out.push(outgoing);
    } catch (error) {
      summary.failed.push({ sopInstanceUid: row.sopInstanceUid, reason: reasonOf(error, row) });
    }
  }
  return out;
}

/**
 * One instance's data set in `requested` (its stored syntax, or Explicit VR LE), ready for a
 * C-STORE request. Sent as these bytes when `accepted` (the syntaxes the peer accepted for its
 * SOP class; undefined = not known yet) includes their syntax; otherwise parsed, so dcmjs-dimse
 * writes it in the uncompressed syntax the peer accepted.
 */
export async function outgoingFor(
  row: InstanceRow,
  source: InstanceBytes,
  requested: string,
  accepted: readonly string[] | undefined,
): Promise<OutgoingInstance & { bytes: number }> {
  const { body, transferSyntaxUid } = await source.open(row, requested);
  const part10 = await collect(body);
  const dataset = part10.subarray(dataSetOffset(part10));
  const exact = accepted === undefined || accepted.includes(transferSyntaxUid);
  return {
    sopClassUid: row.sopClassUid,
    sopInstanceUid: row.sopInstanceUid,
    exact,
    bytes: dataset.length,
    dataset: exact
      ? new EncodedDataset(dataset, transferSyntaxUid, row.sopClassUid, row.sopInstanceUid)
      : new dimse.Dataset(dataset, transferSyntaxUid),
  };
}

export function reasonOf(error: unknown, row: InstanceRow): string {
  if (error instanceof NotAcceptableError)
    return `the remote refused the stored transfer syntax ${row.transferSyntaxUid}, which cannot be converted here`;
  return `could not be read: ${error instanceof Error ? error.message : String(error)}`;
}

/** Rows in order, cut into batches of at most `maxBytes` (and 500 instances). */
function* batches(rows: readonly InstanceRow[], maxBytes: number): Generator<InstanceRow[]> {
  let batch: InstanceRow[] = [];
  let bytes = 0;
  for (const row of rows) {
    if (batch.length > 0 && (bytes + row.size > maxBytes || batch.length >= 500)) {
      yield batch;
      batch = [];
      bytes = 0;
    }
    batch.push(row);
    bytes += row.size;
  }
  if (batch.length > 0) yield batch;
}

async function collect(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

/**
 * Where the data set starts in Part 10 bytes (PS3.10 7.1): after the 128-byte preamble, "DICM"
 * and the File Meta group, whose first element (0002,0000) UL holds the group's length.
 */
export function dataSetOffset(part10: Uint8Array): number {
  const view = new DataView(part10.buffer, part10.byteOffset, part10.byteLength);
  const magic = String.fromCharCode(...part10.subarray(128, 132));
  if (magic !== 'DICM' || view.getUint16(132, true) !== 0x0002 || view.getUint16(134, true) !== 0)
    throw new Error('not a Part 10 file with a File Meta group length');
  return 144 + view.getUint32(140, true);
}

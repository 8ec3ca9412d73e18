import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  DicomParseError,
  HeaderTooLargeError,
  NotPart10Error,
  UnsupportedTransferSyntaxError,
} from '../dicom/errors.js';
import { getString, type DicomJsonDataset } from '../dicom/json/dicom-json.js';
import { zeroPreamble } from '../dicom/part10/preamble.js';
import { scanPart10, type ScanResult } from '../dicom/part10/scan.js';
import { isValidUid } from '../dicom/uid.js';
import type { Db } from '../index/db.js';
import { recordPendingBlob, scheduleBlobDeletion } from '../index/blob-journal.repository.js';
import {
  commitInstance,
  type CommitOptions,
  type CommitResult,
  type InstanceRecord,
} from '../index/instances.repository.js';
import { CommitQueue } from './commit-queue.js';
import { createByteCounter } from '../lib/byte-counter.js';
import { SizeLimitExceededError } from '../lib/errors.js';
import { createHashTap } from '../lib/hash-tap.js';
import { createTee } from '../lib/tee.js';
import type { BlobStore } from '../storage/blob-store.js';
import { StorageFullError } from '../storage/errors.js';
import { isOutOfSpace } from '../storage/fs-errors.js';
import { newBlobKey } from '../storage/keys.js';
import {
  FailureReason,
  WarningReason,
  type StoredInstanceRef,
  type StoreOutcome,
} from './outcomes.js';
import type { SweepBlobs } from './sweep-blobs.js';
import type { ServiceObserver } from './observer.js';

/** Named points of the write path where tests kill the process (see test/durability.test.ts). */
export type FaultPoint = 'after-blob-write' | 'before-commit' | 'after-commit';

export interface StoreInstancesDeps {
  db: Db;
  /** The tier new instances land in. */
  store: BlobStore;
  sweeper: SweepBlobs;
  options: {
    maxInstanceBytes: number;
    maxHeaderBytes: number;
    duplicatePolicy: 'reject' | 'replace';
    pendingGraceSeconds: number;
    deleteGraceSeconds: number;
  };
  /** Test hook: called at each fault point; production passes nothing. */
  fault?: ((point: FaultPoint) => void) | undefined;
  /** Told of the bytes of each instance written (metrics/). */
  observer?: Pick<ServiceObserver, 'stowBytes'> | undefined;
  /** Called after an instance row (and its change feed entry) committed. */
  committed?: (() => void) | undefined;
}

export interface StoreContext {
  /** `{study}` of `POST /studies/{study}`: parts of another study are refused (PS3.18 10.5.3). */
  studyInstanceUid?: string | undefined;
  signal?: AbortSignal | undefined;
  /**
   * Queue the commit only after this settles (the previous part queued its commit or gave up):
   * keeps the parts of one request committing in request order (the last of two parts with one
   * SOP Instance UID wins) while their bytes stream in parallel.
   */
  commitAfter?: Promise<unknown> | undefined;
  /** Called once this part has queued its commit or given up: the next part's `commitAfter`. */
  queued?: (() => void) | undefined;
  /** The request's group commit (commit-queue.ts); without it, the instance commits alone. */
  commits?: CommitQueue | undefined;
  /**
   * Called once the instance is identified and its turn to commit has come: an outcome refuses
   * it (services/stow.ts: the actor's patient scope), undefined admits it.
   */
  admit?:
    | ((instance: StoredInstanceRef & { patientId: string }) => Promise<StoreOutcome | undefined>)
    | undefined;
}

/**
 * STOW-RS for one Part 10 instance. The write path, in this order:
 *
 * 1. A `pending` journal row names the new blob key BEFORE the blob becomes visible under it:
 *    the insert is sent at once and runs while the bytes stream, and the store awaits its commit
 *    (`PutOptions.beforeVisible`) before the key exists — the fs store before it links the
 *    fsync'd temp file into place (a crash before that leaves only a temp file, swept at the
 *    next open), object stores before they start the upload.
 * 2. The bytes stream once: preamble zeroed (CVE-2019-11687) → size limit → SHA-256 → tee: one
 *    branch to the blob store, which resolves only when the blob is durable (fsync'd / committed),
 *    the other to the Part 10 scanner, which builds the DICOM JSON and bulk/pixel offsets.
 * 3. One index commit inserts the instance row and deletes the pending row: a single statement
 *    when the series exists with unchanged study and series attributes (the usual case), else
 *    one transaction that also upserts patient/study/series (index/instances.repository.ts).
 *    The change feed's outbox entry (create or update) is written by the statement that writes
 *    the instance row, so it commits with it: no entry without its instance, no stored
 *    instance without its entry, and no extra round trip. Only then is the instance
 *    acknowledged.
 *
 * Crash reasoning: a blob under its key always has a committed pending row (1) or index row (3).
 * Before 3 commits, the index has no row for this instance and the pending row
 * tells the sweeper to delete whatever blob exists once the grace period passes; after 3 commits,
 * the blob is durable (2 finished first) and referenced. So an index row never lacks its blob, an
 * acknowledged instance always survives, and nothing half-written is ever visible. If the sweeper
 * gives up on a slow upload first, step 3 sees its pending row gone and fails (`expired`).
 * Any failure after 1 moves the key to a `delete` row and removes the blob at once.
 */
export class StoreInstances {
  private readonly commitOptions: CommitOptions;

  constructor(private readonly deps: StoreInstancesDeps) {
    this.commitOptions = {
      duplicatePolicy: deps.options.duplicatePolicy,
      deleteGraceSeconds: deps.options.deleteGraceSeconds,
      beforeCommit: () => this.deps.fault?.('before-commit'),
    };
  }

  /** A group commit for the parts of one request (store-many.ts). */
  newCommitQueue(): CommitQueue {
    return new CommitQueue(this.deps.db, this.commitOptions);
  }

  async storeOne(body: Readable, context: StoreContext = {}): Promise<StoreOutcome> {
    const { db, store, options } = this.deps;
    const blobKey = newBlobKey();
    const blob = { blobKey, storageTier: store.name };
    // Step 1 runs while the bytes stream; the store waits for it before the key becomes visible.
    const recorded = recordPendingBlob(db, blob, options.pendingGraceSeconds);
    recorded.catch(() => {
      // Observed by the store's put (beforeVisible), which fails with this error.
    });

    let outcome: StoreOutcome | undefined;
    try {
      const written = await this.writeAndScan(body, blobKey, context.signal, () => recorded);
      if (!written.ok) return (outcome = written.outcome);
      this.deps.fault?.('after-blob-write');
      const { scan, sha256, size } = written;
      this.deps.observer?.stowBytes(size);

      const checked = checkIdentity(scan, context.studyInstanceUid);
      if (!checked.ok) return (outcome = checked.outcome);
      const { ids, warning } = checked;

      await context.commitAfter;
      // Settled already when the store honoured beforeVisible; explicit, as step 3 needs it.
      await recorded;
      const patientId = getString(scan.dataset, '00100020') ?? '';
      const refused = await context.admit?.({ ...ids, patientId });
      if (refused) return (outcome = refused);
      const record: InstanceRecord = {
        ...ids,
        transferSyntaxUid: scan.transferSyntaxUid,
        blobKey,
        storageTier: store.name,
        size,
        sha256,
        datasetOffset: scan.datasetOffset,
        deflated: scan.deflated,
        pixelData: scan.pixelData ?? null,
        bulkData: scan.bulk,
        metadata: scan.dataset,
      };
      const committing = context.commits
        ? context.commits.commit(record)
        : commitInstance(db, record, this.commitOptions);
      context.queued?.();
      const result = await committing;
      if (result.kind === 'created' || result.kind === 'replaced') {
        // Only where the index changed: an expired upload committed nothing to crash after.
        this.deps.fault?.('after-commit');
        this.deps.committed?.();
      }
      return (outcome = withWarning(outcomeOf(result, ids), patientWarning(result) ?? warning));
    } finally {
      // Whatever happened, the next part's turn has come (a second call changes nothing).
      context.queued?.();
      // Everything but a fresh or replacing version leaves a blob nobody references: drop it now.
      const keep = outcome?.ok === true && outcome.result !== 'duplicate';
      // The pending row must be in place (or have failed) before it is turned into a delete row.
      if (!keep)
        await this.discard(blob, recorded).catch(() => {
          // The pending row is still there: the sweeper removes the blob after the grace period.
        });
    }
  }

  /** Streams the part to storage and the scanner at once; failures become outcomes. */
  private async writeAndScan(
    body: Readable,
    blobKey: string,
    signal: AbortSignal | undefined,
    beforeVisible: () => Promise<unknown>,
  ): Promise<
    | { ok: true; scan: ScanResult; sha256: string; size: number }
    | { ok: false; outcome: StoreOutcome }
  > {
    const { store, options } = this.deps;
    const counter = createByteCounter({ limit: options.maxInstanceBytes });
    const hash = createHashTap('sha256');
    const tee = createTee();
    const abort = new AbortController();
    const onAbort = () => abort.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });

    // An error of the request body itself (client gone, broken multipart) is not the instance's
    // fault: it fails the whole request rather than becoming a per-instance outcome.
    let bodyError: Error | undefined;
    body.once('error', (error: Error) => {
      if (!abort.signal.aborted) bodyError = error;
    });
    const flowing = pipeline(body, zeroPreamble(), counter.tap, hash.tap, tee.tap, {
      signal: abort.signal,
    });
    // `tee.tap` is the last stage: its readable side feeds the store.
    const put = store.put(blobKey, tee.tap, { signal: abort.signal, beforeVisible });
    const scan = scanPart10(tee.branch, {
      maxHeaderBytes: options.maxHeaderBytes,
    }).catch((error: unknown) => {
      // A part the scanner cannot read is not worth storing: stop the upload.
      abort.abort(error);
      throw error;
    });
    const [flowed, putResult, scanned] = await Promise.allSettled([flowing, put, scan]);
    signal?.removeEventListener('abort', onAbort);

    const failure = firstFailure([scanned, flowed, putResult]);
    if (failure !== undefined) {
      // pipeline() destroys the request part with a later stage's error too: a full store or the
      // size limit is this instance's outcome (0xA700), not a broken request, and the multipart
      // reader goes on with the next part.
      const instanceFailure =
        failure instanceof SizeLimitExceededError || failure instanceof StorageFullError;
      if (bodyError !== undefined && !instanceFailure) throw bodyError;
      return { ok: false, outcome: failureOutcome(failure, scanned) };
    }
    if (scanned.status !== 'fulfilled' || putResult.status !== 'fulfilled') {
      throw new Error('unreachable: settled results without failure');
    }
    return { ok: true, scan: scanned.value, sha256: hash.digest(), size: counter.result() };
  }

  private async discard(
    blob: { blobKey: string; storageTier: string },
    recorded: Promise<unknown>,
  ): Promise<void> {
    await recorded.catch(() => undefined);
    const entries = await scheduleBlobDeletion(this.deps.db, [blob], 0);
    await this.deps.sweeper.deleteEntries(entries);
  }
}

/** The most telling error: what the scanner or the limits said beats the echoes in other stages. */
function firstFailure(results: PromiseSettledResult<unknown>[]): unknown {
  const errors = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
  // A backend that let a raw ENOSPC through still means a full store, never an internal error.
  const full = errors.find(isOutOfSpace);
  if (full !== undefined && !errors.some((e) => e instanceof StorageFullError)) {
    errors.unshift(new StorageFullError('writing an instance: no space left', { cause: full }));
  }
  return (
    errors.find((e) => e instanceof SizeLimitExceededError) ??
    errors.find((e) => e instanceof StorageFullError) ??
    errors.find(isDicomError) ??
    errors[0]
  );
}

function isDicomError(error: unknown): boolean {
  return (
    error instanceof DicomParseError ||
    error instanceof NotPart10Error ||
    error instanceof HeaderTooLargeError ||
    error instanceof UnsupportedTransferSyntaxError
  );
}

function failureOutcome(error: unknown, scanned: PromiseSettledResult<ScanResult>): StoreOutcome {
  const ids = scanned.status === 'fulfilled' ? uidsOf(scanned.value.dataset) : {};
  if (error instanceof SizeLimitExceededError) {
    return { ok: false, reason: FailureReason.OutOfResources, detail: error.message, ...ids };
  }
  if (error instanceof StorageFullError) {
    return { ok: false, reason: FailureReason.OutOfResources, detail: 'storage full', ...ids };
  }
  if (error instanceof HeaderTooLargeError) {
    return { ok: false, reason: FailureReason.OutOfResources, detail: error.message };
  }
  if (error instanceof UnsupportedTransferSyntaxError) {
    return { ok: false, reason: FailureReason.TransferSyntaxNotSupported, detail: error.message };
  }
  if (isDicomError(error)) {
    return { ok: false, reason: FailureReason.CannotUnderstand, detail: (error as Error).message };
  }
  // Storage outages, aborted requests and bugs are not the instance's fault: the whole request
  // fails (web/problem.ts) and the client may retry; identical re-sends are idempotent.
  throw error;
}

interface InstanceIds {
  studyInstanceUid: string;
  seriesInstanceUid: string;
  sopInstanceUid: string;
  sopClassUid: string;
}

function uidsOf(ds: DicomJsonDataset): { sopClassUid?: string; sopInstanceUid?: string } {
  const sopClassUid = getString(ds, '00080016');
  const sopInstanceUid = getString(ds, '00080018');
  return {
    ...(sopClassUid && isValidUid(sopClassUid) ? { sopClassUid } : {}),
    ...(sopInstanceUid && isValidUid(sopInstanceUid) ? { sopInstanceUid } : {}),
  };
}

interface Warning {
  warning: WarningReason;
  warningDetail: string;
}

/** The identity checks of PS3.18 10.5.3 / PS3.4 B.2.3 before anything reaches the index. */
function checkIdentity(
  scan: ScanResult,
  urlStudyUid: string | undefined,
):
  | { ok: true; ids: InstanceIds; warning: Warning | undefined }
  | { ok: false; outcome: StoreOutcome } {
  const ds = scan.dataset;
  const known = uidsOf(ds);
  const fail = (reason: FailureReason, detail: string) => ({
    ok: false as const,
    outcome: { ok: false as const, reason, detail, ...known },
  });
  const required = {
    studyInstanceUid: '0020000D',
    seriesInstanceUid: '0020000E',
    sopInstanceUid: '00080018',
    sopClassUid: '00080016',
  } as const;
  const ids: Partial<InstanceIds> = {};
  for (const [field, tag] of Object.entries(required) as [keyof InstanceIds, string][]) {
    const value = getString(ds, tag);
    if (value === undefined) return fail(FailureReason.CannotUnderstand, `missing ${tag}`);
    if (!isValidUid(value)) return fail(FailureReason.CannotUnderstand, `invalid UID in ${tag}`);
    ids[field] = value;
  }
  const complete = ids as InstanceIds;
  if (urlStudyUid !== undefined && urlStudyUid !== complete.studyInstanceUid) {
    return fail(FailureReason.DataSetDoesNotMatchSopClass, 'StudyInstanceUID differs from URL');
  }
  // PS3.10 §7.1 wants the file meta to repeat the dataset's SOP Instance UID, but modalities and
  // archives in the field write files where it does not (a Siemens MR, waveforms, RT plans):
  // the dataset is the object, so it is indexed by its own UID, kept byte for byte, and the
  // sender is warned rather than refused.
  const metaSop = getString(scan.meta, '00020003');
  const warning =
    metaSop !== undefined && metaSop !== complete.sopInstanceUid
      ? {
          warning: WarningReason.DataSetDoesNotMatchSopClass,
          warningDetail: 'MediaStorageSOPInstanceUID differs from SOPInstanceUID',
        }
      : undefined;
  return { ok: true, ids: complete, warning };
}

/**
 * The index kept the study with the patient of its first instance (index/instances.repository.ts):
 * the sender must learn that this instance names someone else. One WarningReason per instance
 * (PS3.18 I.2.1): a patient conflict outranks a meta UID mismatch, so it is checked first.
 */
function patientWarning(result: CommitResult): Warning | undefined {
  return (result.kind === 'created' || result.kind === 'replaced') && result.patientConflict
    ? {
        warning: WarningReason.PatientConflict,
        warningDetail: 'the study is stored under another patient',
      }
    : undefined;
}

/** A stored outcome carries the warning found before the commit; failures drop it. */
function withWarning(outcome: StoreOutcome, warning: Warning | undefined): StoreOutcome {
  return outcome.ok && warning ? { ...outcome, ...warning } : outcome;
}

function outcomeOf(result: CommitResult, ids: InstanceIds): StoreOutcome {
  switch (result.kind) {
    case 'created':
      return { ok: true, result: 'created', ...ids };
    case 'duplicate':
      return { ok: true, result: 'duplicate', ...ids };
    case 'replaced':
      return { ok: true, result: 'replaced', ...ids };
    case 'conflict':
      return {
        ok: false,
        reason: FailureReason.DuplicateSopInstance,
        detail: 'a different object is stored under this SOP Instance UID',
        sopClassUid: ids.sopClassUid,
        sopInstanceUid: ids.sopInstanceUid,
      };
    case 'hierarchy-conflict':
      return {
        ok: false,
        reason: FailureReason.DataSetDoesNotMatchSopClass,
        detail: 'the series is stored under another study',
        sopClassUid: ids.sopClassUid,
        sopInstanceUid: ids.sopInstanceUid,
      };
    case 'expired':
      return {
        ok: false,
        reason: FailureReason.ProcessingFailure,
        detail: 'upload outlived its pending grace period',
        sopClassUid: ids.sopClassUid,
        sopInstanceUid: ids.sopInstanceUid,
      };
  }
}

/**
 * WADO-RS Retrieve Instances (PS3.18 10.4.1.1.1): the instances of a study, series or one
 * instance, each as its Part 10 bytes in the negotiated transfer syntax, opened one at a time
 * as the response reaches them (bounded memory: never a whole study, never a whole instance).
 */
import type { Readable } from 'node:stream';
import { Readable as NodeReadable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { textBytes, usBytes } from '../dicom/part10/element-writer.js';
import { transcodeToExplicitLittle, type ReplacementElement } from '../dicom/part10/transcode.js';
import type { ImagingPool } from '../imaging/imaging-pool.js';
import { pixelDescriptionOf, type PixelDescription } from '../imaging/pixel-description.js';
import { assertRenderableSize } from '../imaging/render.js';
import { TransferSyntax } from '../dicom/uid.js';
import type { InstanceRow } from '../index/retrieve.repository.js';
import type { BlobStore } from '../storage/blob-store.js';
import { numberOfFramesOf, storeOf, type FrameSource } from './frame-source.js';
import { NotAcceptableError } from './errors.js';
import type { InstanceLookup, RetrieveScope } from './instance-lookup.js';
import type { AccessRecorder } from './retrieve-access.js';
import { scopedTo, type Actor } from './actor.js';
import type { RetrieveAudit } from './audit-records.js';
import { asBytes } from './retrieve-frames.js';
import {
  etagOf,
  type Choices,
  type Offer,
  type Representation,
  type RepresentationPart,
} from './representation.js';
import { readAhead } from './read-ahead.js';
import { planInstance, type ServePlan } from './retrieve-syntax.js';
import type { StoredInstance } from './stored-instance.js';

export interface RetrieveInstancesDeps {
  lookup: InstanceLookup;
  frames: FrameSource;
  stores: ReadonlyMap<string, BlobStore>;
  access?: AccessRecorder | undefined;
  /** Decoding runs on its worker threads, within its concurrency bound. */
  imaging: ImagingPool;
  audit: RetrieveAudit;
}

export interface PlannedInstance extends ServePlan {
  row: InstanceRow;
}

const DICOM = 'application/dicom';
const ZIP = 'application/zip';

export class RetrieveInstances {
  constructor(private readonly deps: RetrieveInstancesDeps) {}

  /**
   * The instances in scope and what they can be sent as: `multipart/related;
   * type="application/dicom"`, a single `application/dicom` body for one instance (widely used,
   * reference §2.2), or `application/zip` (PS3.18 Supplement 211) with one
   * `{study}/{series}/{instance}.dcm` entry per instance. Any of them in Explicit VR LE, as
   * stored (`*`), or in the stored syntax when all share one.
   */
  async prepare(scope: RetrieveScope, actor: Actor): Promise<Choices<Offer>> {
    const rows = await this.find(scopedTo(scope, actor));
    const stored = [...new Set(rows.map((r) => r.transferSyntaxUid))];
    const syntaxes = [
      ...new Set([
        TransferSyntax.ExplicitVRLittleEndian,
        '*',
        ...(stored.length === 1 ? stored : []),
      ]),
    ];
    const offers: Offer[] = [
      { type: 'multipart/related', params: { type: DICOM }, transferSyntaxes: syntaxes },
    ];
    if (scope.instance !== undefined) offers.push({ type: DICOM, transferSyntaxes: syntaxes });
    offers.push({ type: ZIP, transferSyntaxes: syntaxes });
    const choices: Choices<Offer> = {
      offers,
      choose: ({ offer, transferSyntax, signal }) =>
        this.represent(scope, offer.type, this.plan(rows, transferSyntax), signal),
    };
    return this.deps.audit.choices(choices, actor, 'instances-transferred', rows, {
      instances: rows.length,
    });
  }

  private represent(
    scope: RetrieveScope,
    type: string,
    plans: PlannedInstance[],
    signal: AbortSignal | undefined,
  ): Representation {
    const etag = etagOf([
      'instances',
      type,
      ...plans.map(
        (p) => `${p.row.id}:${p.row.version}:${p.row.sha256}:${p.mode}:${p.transferSyntaxUid}`,
      ),
    ]);
    return {
      etag,
      revalidate: scope.instance === undefined,
      open: async () => {
        const [firstPlan, ...restPlans] = plans;
        if (!firstPlan) throw new Error('lookup returned no instance');
        // Opened before the status line: a study whose first instance is offline answers 503
        // + Retry-After; a later offline instance can only cut the body (the status is sent).
        const first = await this.open(firstPlan, signal);
        if (type === DICOM)
          return {
            kind: 'single',
            mediaType: partType(firstPlan),
            body: first,
            length: firstPlan.mode === 'stored' ? firstPlan.row.size : undefined,
          };
        if (type === ZIP)
          return {
            kind: 'archive',
            name: scope.instance ?? scope.series ?? scope.study,
            entries: this.entries(firstPlan, first, restPlans, signal),
          };
        return {
          kind: 'multipart',
          type: DICOM,
          parts: this.parts([firstPlan, first], restPlans, signal),
        };
      },
    };
  }

  private async *entries(
    firstPlan: PlannedInstance,
    first: Readable,
    rest: readonly PlannedInstance[],
    signal: AbortSignal | undefined,
  ): AsyncGenerator<{ name: string; body: Readable }> {
    for (const [plan, body] of [[firstPlan, first] as const, ...rest.map((p) => [p] as const)]) {
      const { row } = plan;
      yield {
        name: `${row.studyInstanceUid}/${row.seriesInstanceUid}/${row.sopInstanceUid}.dcm`,
        body: body ?? (await this.open(plan, signal)),
      };
    }
  }

  private async *parts(
    first: readonly [PlannedInstance, Readable],
    rest: readonly PlannedInstance[],
    signal: AbortSignal | undefined,
  ): AsyncGenerator<RepresentationPart> {
    for await (const [plan, body] of readAhead(first, rest, (p) => this.open(p, signal)))
      yield { mediaType: partType(plan), body };
  }

  /**
   * One instance's Part 10 bytes as stored (`requested` = its stored syntax or `*`) or converted
   * to Explicit VR Little Endian (`requested` = ELE), for a DIMSE peer that accepts only that
   * (services/export-study.ts). Throws NotAcceptableError when the stored form cannot be
   * converted. No audit here: the export use case records before calling this.
   */
  async openAs(
    row: InstanceRow,
    requested: string,
    signal?: AbortSignal,
  ): Promise<{ body: Readable; transferSyntaxUid: string }> {
    const plan = { row, ...planInstance(row.transferSyntaxUid, requested, row.pixelData !== null) };
    return { body: await this.open(plan, signal), transferSyntaxUid: plan.transferSyntaxUid };
  }

  /** The instances in scope (404 when none; 400 for bad UIDs), ordered. */
  private find(scope: RetrieveScope): Promise<InstanceRow[]> {
    return this.deps.lookup.findRows(scope);
  }

  /**
   * How each instance is served for the requested transfer syntax (`undefined` = no parameter).
   * Decided for every instance before any byte is sent, so a 406 is a clean answer.
   */
  private plan(rows: readonly InstanceRow[], requested: string | undefined): PlannedInstance[] {
    return rows.map((row) => ({
      row,
      ...planInstance(row.transferSyntaxUid, requested, row.pixelData !== null),
    }));
  }

  /**
   * The bytes of one planned instance. The blob is opened before this resolves, so an offline
   * tier (BlobOfflineError) or a missing blob fails here, before the caller sends anything.
   */
  private async open(planned: PlannedInstance, signal?: AbortSignal): Promise<Readable> {
    const { row } = planned;
    const store = storeOf(this.deps.stores, row.storageTier);
    this.deps.access?.record([row.id]);
    const source = await store.get(row.blobKey, signal ? { signal } : {});
    switch (planned.mode) {
      case 'stored':
        return source;
      case 'transcode':
        return fromGenerator(transcodeToExplicitLittle(source), source);
      case 'decode':
        try {
          const instance = await this.withMetadata(row);
          return fromGenerator(await this.decoded(instance, source, signal), source);
        } catch (error) {
          // Nobody else holds `source` yet (e.g. frame 1 did not decode): close its file
          // descriptor before the error answers, rather than leave it to the garbage collector.
          await release(source);
          throw error;
        }
    }
  }

  private async withMetadata(row: InstanceRow): Promise<StoredInstance> {
    for await (const [instance] of this.deps.lookup.withMetadata([row]))
      if (instance) return instance;
    return { ...row, metadata: {} };
  }

  /**
   * Encapsulated pixel data replaced by decoded native frames (one frame in memory at a time),
   * the header rewritten with the decoded PhotometricInterpretation / PlanarConfiguration and
   * without the Extended Offset Table, which described the fragments (PS3.3 C.7.6.3.1.8).
   */
  private async decoded(
    instance: StoredInstance,
    source: Readable,
    signal?: AbortSignal,
  ): Promise<AsyncGenerator<Uint8Array>> {
    const description = pixelDescriptionOf(instance.metadata);
    const count = numberOfFramesOf(instance);
    const ts = instance.transferSyntaxUid;
    assertFitsExplicitLittle(description, count);
    assertRenderableSize(description); // one decoded frame is held in memory at a time
    const { frames, imaging } = this.deps;
    const [firstBytes] = await frames.readFrames(instance, [1], signal);
    const first = await imaging.decode(firstBytes ?? new Uint8Array(0), ts, description, signal);
    const decoded = first.description;
    const frameLength = first.data.length;
    const total = frameLength * count;
    const replace = new Map<string, ReplacementElement | null>([
      ['00280004', { vr: 'CS', value: textBytes(decoded.photometricInterpretation) }],
      ['7FE00001', null],
      ['7FE00002', null],
    ]);
    if (decoded.samplesPerPixel > 1)
      replace.set('00280006', { vr: 'US', value: usBytes(decoded.planarConfiguration) });
    async function* chunks(): AsyncGenerator<Uint8Array> {
      yield asBytes(first.data);
      for (let n = 2; n <= count; n++) {
        const [bytes] = await frames.readFrames(instance, [n], signal);
        // Admitted: the response is under way, so later frames wait rather than cut it.
        const frame = await imaging.decode(bytes ?? new Uint8Array(0), ts, description, signal, {
          admitted: true,
        });
        yield asBytes(frame.data);
      }
      if (total % 2 === 1) yield new Uint8Array(1); // PS3.5 §7.1.1: even value length
    }
    return transcodeToExplicitLittle(source, {
      replace,
      pixelData: {
        vr: decoded.bitsAllocated > 8 ? 'OW' : 'OB',
        length: total + (total % 2),
        chunks,
      },
    });
  }
}

function partType(plan: PlannedInstance): string {
  return `${DICOM}; transfer-syntax=${plan.transferSyntaxUid}`;
}

/** PS3.5 §7.1.1: the largest even 32-bit value length (FFFFFFFF means undefined length). */
const MAX_VALUE_LENGTH = 0xfffffffe;

/**
 * PS3.18 8.7.3.4: lossless data whose decoded Pixel Data "cannot be encoded in the Explicit VR
 * Little Endian Transfer Syntax" is exempt from the default. Checked from the header before
 * any frame is decoded; the answer (406) names what can be had instead.
 */
function assertFitsExplicitLittle(description: PixelDescription, frames: number): void {
  const bits =
    description.rows *
    description.columns *
    description.samplesPerPixel *
    description.bitsAllocated *
    frames;
  if (Math.ceil(bits / 8) <= MAX_VALUE_LENGTH) return;
  throw new NotAcceptableError(
    "an instance's decoded pixel data exceeds the 4 GiB value length of Explicit VR Little Endian; ask for transfer-syntax=* to receive it as stored",
    ['*'],
  );
}

/** Destroys `stream` and waits until it has closed (its file descriptor, if any, released). */
async function release(stream: Readable): Promise<void> {
  stream.destroy();
  await finished(stream).catch(() => undefined); // destroyed on purpose: its error is not news
}

/** A Readable over `generator` that destroys `source` however it ends (client hang-up too). */
function fromGenerator(generator: AsyncGenerator<Uint8Array>, source: Readable): Readable {
  const out = NodeReadable.from(generator, { objectMode: false });
  const release = (): void => void source.destroy();
  out.once('close', release);
  return out;
}

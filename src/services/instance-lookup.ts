/**
 * Which stored instances a WADO-RS request names (PS3.18 10.4.1: study, series or instance
 * scope), with everything needed to read them.
 */
import type { Db } from '../index/db.js';
import {
  findInstanceRows,
  findInstancesWithElements,
  findInstancesWithMetadata,
  findMetadata,
  findMetadataRows,
  findMetadataText,
  type InstanceRow,
  type MetadataRow,
  type RetrieveScope,
} from '../index/retrieve.repository.js';
import { PixelTags } from '../imaging/pixel-description.js';
import { ResourceNotFoundError } from './errors.js';
import type { StoredInstance } from './stored-instance.js';
import { assertUid } from './uid-params.js';

// web/ may not import index/ (house style §3): the one scope type reaches the routes from here.
export type { RetrieveScope };

export interface InstanceLookupDeps {
  db: Db;
}

/** PS3.3 C.7.6.3 Image Pixel and C.7.6.6 Multi-frame module elements frames are read by. */
const FRAME_ELEMENTS = Object.values(PixelTags);

/** Metadata is fetched in batches of this many rows (bounded memory per query). */
export const METADATA_BATCH = 100;

export class InstanceLookup {
  constructor(private readonly deps: InstanceLookupDeps) {}

  /**
   * Instances in scope, ordered (series number, instance number, uid); throws
   * ResourceNotFoundError (404) when none. Validates UIDs (InvalidUidError 400).
   */
  async find(scope: RetrieveScope): Promise<StoredInstance[]> {
    if (scope.instance !== undefined) {
      // One instance: rows and metadata in one round trip (frames, bulk data, rendered).
      assertScope(scope);
      const found = await findInstancesWithMetadata(this.deps.db, scope);
      if (found.length === 0) throw new ResourceNotFoundError('instance');
      return found;
    }
    const rows = await this.findRows(scope);
    const out: StoredInstance[] = [];
    for await (const batch of this.withMetadata(rows)) out.push(...batch);
    return out;
  }

  /**
   * One instance with only its Image Pixel module elements as metadata: what reading, checking
   * and decoding frames needs (FrameSource, pixelDescriptionOf), without parsing the rest.
   */
  async findForFrames(scope: RetrieveScope & { instance: string }): Promise<StoredInstance> {
    assertScope(scope);
    const [found] = await findInstancesWithElements(this.deps.db, scope, FRAME_ELEMENTS);
    if (!found) throw new ResourceNotFoundError('instance');
    return found;
  }

  /** Like `find` without the DICOM JSON: instance retrieve needs only where the bytes are. */
  async findRows(scope: RetrieveScope): Promise<InstanceRow[]> {
    assertScope(scope);
    return someOf(await findInstanceRows(this.deps.db, scope), scope);
  }

  /** Like `findRows` with only what Retrieve Metadata needs of each instance. */
  async findMetadataRows(scope: RetrieveScope): Promise<MetadataRow[]> {
    assertScope(scope);
    return someOf(await findMetadataRows(this.deps.db, scope), scope);
  }

  /** The metadata of rows as JSON text, in batches (see metadataTextOf). */
  metadataText<T extends { id: number }>(
    rows: readonly T[],
  ): AsyncGenerator<{ row: T; json: string }[]> {
    return metadataTextOf(this.deps.db, rows);
  }

  /** Adds the DICOM JSON to rows, `METADATA_BATCH` at a time, in the rows' order. */
  async *withMetadata(
    rows: readonly InstanceRow[],
    batchSize = METADATA_BATCH,
  ): AsyncGenerator<StoredInstance[]> {
    for (let i = 0; i < rows.length; i += batchSize) {
      const batch = rows.slice(i, i + batchSize);
      const metadata = await findMetadata(
        this.deps.db,
        batch.map((r) => r.id),
      );
      // An instance deleted between the two queries is skipped, as if listed a moment later.
      const present = batch.filter((r) => metadata.has(r.id));
      yield present.map((r) => ({ ...r, metadata: metadata.get(r.id) ?? {} }));
    }
  }
}

/**
 * JSON text is held as one string per instance (no parsed objects): larger batches than
 * METADATA_BATCH keep memory bounded (≈1–10 KB per instance) with fewer round trips.
 */
export const METADATA_TEXT_BATCH = 250;

/**
 * The DICOM JSON text (tags in ascending order) of `rows`, batch by batch, in the rows' order;
 * an instance deleted meanwhile is skipped. The next batch is queried while the caller writes
 * the current one, so a large series does not wait for one round trip per batch
 * (bench/compare.ts); at most two batches are held.
 */
export async function* metadataTextOf<T extends { id: number }>(
  db: Db,
  rows: readonly T[],
  batchSize = METADATA_TEXT_BATCH,
): AsyncGenerator<{ row: T; json: string }[]> {
  const query = (start: number): Promise<Map<number, string>> | undefined => {
    if (start >= rows.length) return undefined;
    const texts = findMetadataText(
      db,
      rows.slice(start, start + batchSize).map((r) => r.id),
    );
    texts.catch(() => undefined); // awaited below, or dropped when the caller stops early
    return texts;
  };
  let next = query(0);
  for (let i = 0; next; i += batchSize) {
    const texts = await next;
    next = query(i + batchSize);
    yield rows.slice(i, i + batchSize).flatMap((row) => {
      const json = texts.get(row.id);
      return json === undefined ? [] : [{ row, json }];
    });
  }
}

export function assertScope(scope: RetrieveScope): void {
  assertUid(scope.study, 'StudyInstanceUID');
  if (scope.series !== undefined) assertUid(scope.series, 'SeriesInstanceUID');
  if (scope.instance !== undefined) assertUid(scope.instance, 'SOPInstanceUID');
}

/** `rows`, or ResourceNotFoundError (404) naming the scope's level when there are none. */
function someOf<T>(rows: T[], scope: RetrieveScope): T[] {
  if (rows.length === 0) throw new ResourceNotFoundError(levelOf(scope));
  return rows;
}

function levelOf(scope: RetrieveScope): 'study' | 'series' | 'instance' {
  if (scope.instance !== undefined) return 'instance';
  if (scope.series !== undefined) return 'series';
  return 'study';
}

import type { Db } from '../index/db.js';
import { deleteInstances, type DeleteScope } from '../index/delete.repository.js';
import { ResourceNotFoundError } from './errors.js';
import { assertUid } from './uid-params.js';
import type { AuditSink } from '../audit/event.js';
import { scopedTo, type Actor } from './actor.js';
import { eventOf, recordAll } from './audit-records.js';
import type { SweepBlobs } from './sweep-blobs.js';

/**
 * DELETE of a study, series or instance (not in PS3.18, but every archive UI expects it): the
 * index rows go in one transaction that also schedules their blobs; the blobs are then deleted
 * at once (or by the sweeper, if this process dies first).
 */
export class DeleteInstances {
  constructor(
    private readonly deps: {
      db: Db;
      sweeper: SweepBlobs;
      audit: AuditSink;
      /** Called after a delete committed (the change feed's signal). */
      committed?: (() => void) | undefined;
    },
  ) {}

  /**
   * Returns how many instances were deleted; throws ResourceNotFoundError when none matched —
   * also when they belong to a patient outside the actor's scope, exactly as if absent.
   *
   * The audit record (110105 Study Deleted for a study; 110103 Instances Accessed, action D,
   * for a series or instance) is written after the index commit, since it records what
   * happened. If it cannot be written the caller answers 503 although the rows are gone; a
   * retry then answers 404. Blobs are deleted either way (or by the sweeper).
   */
  async delete(scope: DeleteScope, actor: Actor): Promise<number> {
    assertUid(scope.studyInstanceUid, 'StudyInstanceUID');
    if (scope.seriesInstanceUid !== undefined) {
      assertUid(scope.seriesInstanceUid, 'SeriesInstanceUID');
    }
    if (scope.sopInstanceUid !== undefined) assertUid(scope.sopInstanceUid, 'SOPInstanceUID');
    const { entries, patientId } = await deleteInstances(
      this.deps.db,
      scopedTo({ ...scope }, actor),
    );
    if (entries.length === 0) {
      throw new ResourceNotFoundError(
        scope.sopInstanceUid !== undefined
          ? 'instance'
          : scope.seriesInstanceUid !== undefined
            ? 'series'
            : 'study',
      );
    }
    this.deps.committed?.();
    const study = scope.seriesInstanceUid === undefined && scope.sopInstanceUid === undefined;
    try {
      await recordAll(this.deps.audit, [
        {
          ...eventOf(actor, study ? 'study-deleted' : 'instances-accessed', 'D', 0),
          patient: { patientId, studyUids: [scope.studyInstanceUid] },
          detail: { instances: entries.length },
        },
      ]);
    } finally {
      await this.deps.sweeper.deleteEntries(entries);
    }
    return entries.length;
  }
}

import type { Db } from '../index/db.js';
import { deleteInstances, type DeleteScope } from '../index/delete.repository.js';
import { ResourceNotFoundError } from './errors.js';
import { assertUid } from './uid-params.js';
import type { SweepBlobs } from './sweep-blobs.js';

/**
 * DELETE of a study, series or instance (not in PS3.18, but every archive UI expects it): the
 * index rows go in one transaction that also schedules their blobs; the blobs are then deleted
 * at once (or by the sweeper, if this process dies first).
 */
export class DeleteInstances {
  constructor(private readonly deps: { db: Db; sweeper: SweepBlobs }) {}

  /** Returns how many instances were deleted; throws ResourceNotFoundError when none matched. */
  async delete(scope: DeleteScope): Promise<number> {
    assertUid(scope.studyInstanceUid, 'StudyInstanceUID');
    if (scope.seriesInstanceUid !== undefined) {
      assertUid(scope.seriesInstanceUid, 'SeriesInstanceUID');
    }
    if (scope.sopInstanceUid !== undefined) assertUid(scope.sopInstanceUid, 'SOPInstanceUID');
    const entries = await deleteInstances(this.deps.db, scope);
    if (entries.length === 0) {
      throw new ResourceNotFoundError(
        scope.sopInstanceUid !== undefined
          ? 'instance'
          : scope.seriesInstanceUid !== undefined
            ? 'series'
            : 'study',
      );
    }
    await this.deps.sweeper.deleteEntries(entries);
    return entries.length;
  }
}

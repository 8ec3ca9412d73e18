import type { Db } from '../index/db.js';
import { commitInstances } from '../index/instance-batch.js';
import type { CommitOptions, CommitResult, InstanceRecord } from '../index/instances.repository.js';

/** Most instances one index transaction commits (a bound on the transaction, not on memory). */
const MAX_BATCH = 64;

interface Waiting {
  record: InstanceRecord;
  resolve(result: CommitResult): void;
  reject(error: unknown): void;
}

/**
 * Group commit for the parts of one request (store-many.ts): instances are committed in the
 * order they were queued, and those queued while a commit runs go together in the next one
 * (index/instance-batch.ts), so a request of many instances costs a few index transactions,
 * not one per instance. Each caller still learns its own result, after its own commit.
 */
export class CommitQueue {
  private readonly waiting: Waiting[] = [];
  private running = false;

  constructor(
    private readonly db: Db,
    private readonly options: CommitOptions,
  ) {}

  commit(record: InstanceRecord): Promise<CommitResult> {
    return new Promise<CommitResult>((resolve, reject) => {
      this.waiting.push({ record, resolve, reject });
      if (!this.running) void this.run();
    });
  }

  private async run(): Promise<void> {
    this.running = true;
    try {
      while (this.waiting.length > 0) {
        const batch = this.waiting.splice(0, MAX_BATCH);
        const results = await commitInstances(
          this.db,
          batch.map((w) => w.record),
          this.options,
        ).catch((error: unknown) =>
          batch.map((): PromiseSettledResult<CommitResult> => ({
            status: 'rejected',
            reason: error,
          })),
        );
        results.forEach((result, i) => {
          if (result.status === 'fulfilled') batch[i]!.resolve(result.value);
          else batch[i]!.reject(result.reason);
        });
      }
    } finally {
      this.running = false;
    }
  }
}

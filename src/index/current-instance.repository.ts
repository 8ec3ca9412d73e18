import { and, eq } from 'drizzle-orm';
import type { Db } from './db.js';
import { DEFAULT_PARTITION, instances } from './schema.js';

/**
 * Where the current version of one instance lives and what it holds: enough to check a
 * replacement, a tier move or a deletion, without the retrieve row's layout and metadata.
 */
export interface CurrentInstance {
  sopInstanceUid: string;
  sopClassUid: string;
  blobKey: string;
  storageTier: string;
  size: number;
  sha256: string;
  version: number;
}

const storedColumns = {
  sopInstanceUid: instances.sopInstanceUid,
  sopClassUid: instances.sopClassUid,
  blobKey: instances.blobKey,
  storageTier: instances.storageTier,
  size: instances.size,
  sha256: instances.sha256,
  version: instances.version,
};

/** The current version of one instance, or undefined. */
export async function findInstance(
  db: Db,
  sopInstanceUid: string,
  partitionKey = DEFAULT_PARTITION,
): Promise<CurrentInstance | undefined> {
  const [row] = await db
    .select(storedColumns)
    .from(instances)
    .where(
      and(eq(instances.partitionKey, partitionKey), eq(instances.sopInstanceUid, sopInstanceUid)),
    );
  return row;
}

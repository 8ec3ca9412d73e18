import { sql } from 'drizzle-orm';
import type { Db } from './db.js';

/** The cheapest round trip to the index: proves a connection can be had and answers. */
export async function pingIndex(db: Db): Promise<void> {
  await db.execute(sql`select 1`);
}

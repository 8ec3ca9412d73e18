/**
 * A test-only process: wedges PGlite on a full disk as a serving index can be wedged, under the
 * watchdog `strata serve` runs (src/cli/index-stall-watchdog.ts). Opens PGlite in
 * `<argv[2]>/index`, fills that filesystem, lets a CHECKPOINT fail with ENOSPC, then runs one
 * more statement: it spins inside PGlite's WASM, holding the event loop, until the watchdog
 * writes its line and kills the process. Prints "wedging" before that statement.
 */
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { INDEX_DISK_FULL_MESSAGE } from '../../src/cli/fatal.js';
import { startIndexStallWatchdog } from '../../src/cli/index-stall-watchdog.js';
import { MIN_FREE_BYTES, openPglite } from '../../src/index/pglite-open.js';

const dataDir = join(process.argv[2]!, 'index');
const stallMs = Number(process.argv[3] ?? 3000);

const client = await openPglite(dataDir);
await client.exec(`create table t (x text)`);
await client.exec(`insert into t select repeat('a', 100) from generate_series(1, 1000)`);
// Fill to the last block: 1 MiB chunks, then 4 KiB ones.
const filler = await open(join(dataDir, 'filler'), 'w');
for (const size of [1 << 20, 4096]) {
  try {
    for (;;) await filler.write(Buffer.alloc(size));
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'ENOSPC') throw error;
  }
}
await filler.close();
// A write that needs a new page fails (53100 "could not extend file"), leaving dirty buffers.
for (let i = 0; i < 5; i++) {
  await client
    .query(`insert into t select repeat('b', 1000) from generate_series(1, 5000)`)
    .catch(() => undefined);
}
const checkpoint = await client.query('checkpoint').then(
  () => 'checkpoint succeeded',
  (error: unknown) => `checkpoint failed ${(error as { code?: string }).code}`,
);
console.log(checkpoint);
startIndexStallWatchdog({
  dataDir,
  minFreeBytes: MIN_FREE_BYTES,
  stallMs,
  message: INDEX_DISK_FULL_MESSAGE,
});
console.log('wedging');
await client.query('select count(*) from t');
console.log('the statement returned');
process.exit(0);

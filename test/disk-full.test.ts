import { rm, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/lib/log.js';
import { makeInstance } from './helpers/make-dicom.js';
import { stow } from './helpers/multipart.js';
import { startTestServer, storedBytes, testDb, type TestServer } from './helpers/server.js';
import { mountTmpfs } from './helpers/tmpfs.js';

/**
 * STOW onto a blob store whose filesystem is full (a real 2 MiB tmpfs): the part that does not
 * fit is refused with 0xA700 (Out of Resources, PS3.4 Table B.2-1) inside a normal STOW response,
 * the other parts are stored, and the server stays up with its earlier data intact. The index
 * lives elsewhere (the default data dir), so only the blob store is full.
 */
const disk = await mountTmpfs('2m');
const FAILED_SOP_SEQUENCE = '00081198';
const REFERENCED_SOP_SEQUENCE = '00081199';
const SOP_INSTANCE_UID = '00081155';
const FAILURE_REASON = '00081197';

describe.runIf(disk !== undefined)(`STOW onto a full disk (${testDb})`, () => {
  const lines: string[] = [];
  let server: TestServer;
  const config = `${disk?.path}.json`;
  beforeAll(async () => {
    await writeFile(
      config,
      JSON.stringify({ tiers: [{ name: 'fs', backend: { kind: 'fs', root: disk!.path } }] }),
    );
    server = await startTestServer(
      { STRATA_CONFIG: config },
      { log: createLogger('debug', (line) => lines.push(line)) },
    );
  });
  afterAll(async () => {
    await server?.close();
    await disk?.unmount();
    await rm(config, { force: true });
  });

  it('answers 0xA700 for the part that does not fit, stores the rest, and keeps serving', async () => {
    const earlier = makeInstance();
    expect((await stow(`${server.base}/studies`, [{ body: earlier.bytes }])).status).toBe(200);

    // 5 MB on a 2 MiB filesystem: the write fails with ENOSPC while the part is still streaming.
    const fits = makeInstance();
    const tooBig = makeInstance({ pixelBytes: 5_000_000 });
    const response = await stow(`${server.base}/studies`, [
      { body: fits.bytes },
      { body: tooBig.bytes },
    ]);
    expect(response.status).toBe(202);
    const failed = response.json[FAILED_SOP_SEQUENCE].Value as Record<string, any>[];
    expect(failed).toHaveLength(1);
    expect(failed[0]![FAILURE_REASON].Value).toEqual([0xa700]);
    const referenced = response.json[REFERENCED_SOP_SEQUENCE].Value as Record<string, any>[];
    expect(referenced.map((r) => r[SOP_INSTANCE_UID].Value[0])).toEqual([fits.sopInstanceUid]);

    // Still up, nothing lost, and the space of the refused part was given back.
    expect(await storedBytes(server, earlier.sopInstanceUid)).toEqual(earlier.bytes);
    expect(await storedBytes(server, fits.sopInstanceUid)).toEqual(fits.bytes);
    expect(await storedBytes(server, tooBig.sopInstanceUid)).toBeUndefined();
    const after = makeInstance();
    expect((await stow(`${server.base}/studies`, [{ body: after.bytes }])).status).toBe(200);
    expect(lines.filter((l) => /"level":"error"/.test(l))).toEqual([]);
  });
});

import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryAuditSink } from '../src/audit/testing/memory-sink.js';
import { dataSetOffset } from '../src/dimse/scu/send-instances.js';
import { dcmtk, peerArgs } from './helpers/dcmtk.js';
import {
  freePort,
  requireTools,
  startPeer,
  waitForPort,
  type Peer,
} from './helpers/dimse-peers.js';
import { stow } from './helpers/multipart.js';
import { sampleBytes, samples, samplesAvailable } from './helpers/samples.js';
import { startTestServer, testDb, type TestServer } from './helpers/server.js';

/**
 * #15 C-MOVE SCP with dcmtk: movescu asks Strata to move a study, a series or one image to
 * storescp (a known AE); what arrives is the stored data set byte for byte; an unknown
 * destination is refused with A801, a bad identifier with A900.
 */
const STUDY = '1.2.826.0.1.3680043.8.498.12406831542731051035295345080039845114';
const run = samplesAvailable && requireTools('movescu', 'storescp');
const files = samples.filter((s) => s.study_instance === STUDY && s.expect === 'store');

describe.runIf(run)(`#15 C-MOVE SCP (${testDb})`, () => {
  let server: TestServer;
  let dest: Peer;
  let out: string;
  let destPort: number;
  const sink = new MemoryAuditSink();
  const events = sink.events;

  beforeAll(async () => {
    out = await mkdtemp(join(tmpdir(), 'strata-move-'));
    destPort = await freePort();
    dest = startPeer('storescp', ['-aet', 'DEST', '-od', out, '+B', '+xa', String(destPort)]);
    server = await startTestServer(
      {
        DIMSE_PORT: '0',
        DIMSE_REMOTE_AES: `MOVESCU@127.0.0.1:1,DEST@127.0.0.1:${destPort},DOWN@127.0.0.1:${await freePort()}`,
        DIMSE_SCU_TIMEOUT_SECONDS: '5',
      },
      { audit: sink },
    );
    const stored = await stow(
      `${server.base}/studies`,
      files.map((f) => ({ body: sampleBytes(f.file) })),
    );
    expect(stored.status).toBe(200);
    await waitForPort(destPort);
  });
  afterAll(async () => {
    await dest?.stop();
    await server?.close();
    if (out) await rm(out, { recursive: true, force: true });
  });

  const move = (keys: string[], destination = 'DEST') =>
    dcmtk('movescu', [
      '-v',
      '-S',
      '-aem',
      destination,
      ...keys.flatMap((k) => ['-k', k]),
      ...peerArgs(server.dimse!.port, 'MOVESCU'),
    ]);

  async function received(): Promise<Buffer[]> {
    return Promise.all((await readdir(out)).map((name) => readFile(join(out, name))));
  }

  it('moves a study to the destination: every instance, data sets as stored, audited', async () => {
    const result = await move(['QueryRetrieveLevel=STUDY', `StudyInstanceUID=${STUDY}`]);
    expect(result.code, result.stderr).toBe(0);
    const log = result.stdout + result.stderr;
    // One pending response per sub-operation, then success.
    expect(log.match(/Received Move Response \d+ \(Pending\)/g)).toHaveLength(files.length);
    expect(log).toMatch(/Received Final Move Response \(Success\)/);
    const got = await received();
    expect(got).toHaveLength(files.length);
    const sent = files.map((f) => sampleBytes(f.file)).map((b) => b.subarray(dataSetOffset(b)));
    for (const bytes of got) {
      const dataset = bytes.subarray(dataSetOffset(bytes));
      expect(sent.some((s) => s.equals(dataset))).toBe(true);
    }
    const transferred = events.find(
      (e) => e.type === 'instances-transferred' && e.user?.id === 'ae:MOVESCU',
    );
    expect(transferred?.detail).toMatchObject({ destination: `DEST@127.0.0.1:${destPort}` });
  });

  it('moves one image at IMAGE level', async () => {
    const one = files[0]!;
    const before = (await readdir(out)).length;
    const result = await move([
      'QueryRetrieveLevel=IMAGE',
      `StudyInstanceUID=${STUDY}`,
      `SeriesInstanceUID=${one.series_instance}`,
      `SOPInstanceUID=${one.sop_instance}`,
    ]);
    expect(result.code, result.stderr).toBe(0);
    const log = result.stdout + result.stderr;
    expect(log.match(/\(Pending\)/g)).toHaveLength(1);
    expect(log).toMatch(/Final Move Response \(Success\)/);
    expect((await readdir(out)).length).toBe(before); // storescp overwrote the same file
  });

  it('refuses an unknown move destination with A801', async () => {
    const result = await move(['QueryRetrieveLevel=STUDY', `StudyInstanceUID=${STUDY}`], 'NOBODY');
    expect(result.stdout + result.stderr).toMatch(
      /Final Move Response \(Refused: MoveDestinationUnknown\)/,
    );
  });

  it('answers A702 with every sub-operation failed when the destination cannot be reached', async () => {
    const result = await move(['QueryRetrieveLevel=STUDY', `StudyInstanceUID=${STUDY}`], 'DOWN');
    const log = result.stdout + result.stderr;
    expect(log).toMatch(/Final Move Response \(Refused: OutOfResourcesSubOperations\)/);
    expect(log).not.toMatch(/\(Pending\)/);
  });

  it('refuses an identifier without the unique keys of its level (A900)', async () => {
    const result = await move(['QueryRetrieveLevel=SERIES', `StudyInstanceUID=${STUDY}`]);
    expect(result.stdout + result.stderr).toMatch(
      /Final Move Response \(Error: DataSetDoesNotMatchSOPClass\)/,
    );
  });
});

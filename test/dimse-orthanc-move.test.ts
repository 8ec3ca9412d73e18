import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dcmtk, peerArgs } from './helpers/dcmtk.js';
import { requireTools } from './helpers/dimse-peers.js';
import { stow } from './helpers/multipart.js';
import { ORTHANC, startOrthanc, type OrthancPeer } from './helpers/orthanc.js';
import { sampleBytes, samples, samplesAvailable } from './helpers/samples.js';
import { startTestServer, testDb, type TestServer } from './helpers/server.js';

/**
 * #15 C-MOVE from Strata into Orthanc: movescu asks Strata to move a study to ORTHANC (a known
 * AE); the instances arrive in Orthanc, as its REST API shows.
 */
const STUDY = '1.2.826.0.1.3680043.8.498.12406831542731051035295345080039845114';
const run = samplesAvailable && requireTools(ORTHANC, 'movescu');
const files = samples.filter((s) => s.study_instance === STUDY && s.expect === 'store');

describe.runIf(run)(`#15 C-MOVE into Orthanc (${testDb})`, () => {
  let dir: string;
  let orthanc: OrthancPeer;
  let server: TestServer;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'strata-orthanc-move-'));
    orthanc = await startOrthanc(dir, {});
    server = await startTestServer({
      DIMSE_PORT: '0',
      DIMSE_REMOTE_AES: `MOVESCU@127.0.0.1:1,ORTHANC@127.0.0.1:${orthanc.dicomPort}`,
    });
    const stored = await stow(
      `${server.base}/studies`,
      files.map((f) => ({ body: sampleBytes(f.file) })),
    );
    expect(stored.status).toBe(200);
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    await orthanc?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('moves a study into Orthanc: every instance arrives there', async () => {
    const result = await dcmtk('movescu', [
      '-v',
      '-S',
      '-aem',
      'ORTHANC',
      '-k',
      'QueryRetrieveLevel=STUDY',
      '-k',
      `StudyInstanceUID=${STUDY}`,
      ...peerArgs(server.dimse!.port, 'MOVESCU'),
    ]);
    const log = result.stdout + result.stderr;
    expect(result.code, log).toBe(0);
    expect(log).toMatch(/Final Move Response \(Success\)/);
    const found = await fetch(`${orthanc.base}/tools/find`, {
      method: 'POST',
      body: JSON.stringify({ Level: 'Instance', Query: { StudyInstanceUID: STUDY }, Expand: true }),
    });
    const instances = (await found.json()) as Array<{ MainDicomTags: { SOPInstanceUID: string } }>;
    expect(instances.map((i) => i.MainDicomTags.SOPInstanceUID).sort()).toEqual(
      files.map((f) => f.sop_instance).sort(),
    );
  });
});

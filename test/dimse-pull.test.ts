import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStrata } from '../src/compose.js';
import { loadConfig } from '../src/config/config.js';
import { createLogger } from '../src/lib/log.js';
import { freePort, requireTools, strataCli } from './helpers/dimse-peers.js';
import { ORTHANC, startOrthanc, type OrthancPeer } from './helpers/orthanc.js';
import { sampleBytes, samples, samplesAvailable } from './helpers/samples.js';
import { freshDatabase, testDb } from './helpers/server.js';

/**
 * #15 `strata pull <AE>`: an archive migrated from Orthanc (a real PACS, configured with Strata
 * as a modality). C-FIND finds the study, C-MOVE brings its instances to the command's own
 * listener, through the STOW ingest; a second run skips what is already held in full.
 */
const STUDY = '1.2.826.0.1.3680043.8.498.12406831542731051035295345080039845114';
const run = samplesAvailable && requireTools(ORTHANC);
const files = samples.filter((s) => s.study_instance === STUDY && s.expect === 'store');

describe.runIf(run)(`#15 strata pull from Orthanc (${testDb})`, () => {
  let dir: string;
  let database: Awaited<ReturnType<typeof freshDatabase>>;
  let env: Record<string, string>;
  let orthanc: OrthancPeer;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'strata-pull-'));
    database = await freshDatabase();
    const strataPort = await freePort();
    orthanc = await startOrthanc(dir, { strata: ['STRATA', '127.0.0.1', strataPort] });
    const { base, dicomPort } = orthanc;
    for (const f of files) {
      const answer = await fetch(`${base}/instances`, {
        method: 'POST',
        body: sampleBytes(f.file),
      });
      expect(answer.ok, f.file).toBe(true);
    }
    env = {
      DATA_DIR: join(dir, 'data'),
      LOG_LEVEL: 'silent',
      SWEEP_INTERVAL_SECONDS: '0',
      HOST: '127.0.0.1',
      PORT: '0',
      DIMSE_PORT: String(strataPort),
      DIMSE_AE_TITLE: 'STRATA',
      DIMSE_REMOTE_AES: `ORTHANC@127.0.0.1:${dicomPort}`,
      ...(database.url ? { DATABASE_URL: database.url } : {}),
    };
    // The index exists (migrated) before the command runs, as after `strata migrate`.
    const strata = await startStrata(loadConfig({ ...env, DIMSE_PORT: '' }), {
      log: createLogger('silent'),
    });
    await strata.close();
  }, 60_000);
  afterAll(async () => {
    await orthanc?.stop();
    await database?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('migrates a study: C-FIND, then C-MOVE into the ingest; every instance arrives', async () => {
    const result = await strataCli(['pull', 'ORTHANC', '--study', STUDY], env);
    expect(result.status, result.stderr + result.stdout + orthanc.peer.output()).toBe(0);
    const summary = JSON.parse(result.stdout);
    expect(summary).toMatchObject({ studies: 1, moved: 1, instancesReceived: files.length });
    // What Strata now holds: the instances, through its own QIDO.
    const strata = await startStrata(loadConfig({ ...env, DIMSE_PORT: '' }), {
      log: createLogger('silent'),
    });
    try {
      const answer = await fetch(`${strata.url}/dicom-web/studies/${STUDY}/instances`);
      expect(answer.status).toBe(200);
      const found = (await answer.json()) as Array<Record<string, { Value: string[] }>>;
      expect(found.map((i) => i['00080018']!.Value[0]).sort()).toEqual(
        files.map((f) => f.sop_instance).sort(),
      );
    } finally {
      await strata.close();
    }
  });

  it('resumes: a study already held in full is skipped', async () => {
    const result = await strataCli(['pull', 'ORTHANC', '--study', STUDY], env);
    expect(result.status, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ studies: 1, moved: 0, skipped: 1 });
  });
});

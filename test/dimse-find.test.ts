import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryAuditSink } from '../src/audit/testing/memory-sink.js';
import { dcmtk, dcmtkAvailable, peerArgs } from './helpers/dcmtk.js';
import { stow } from './helpers/multipart.js';
import { sampleBytes, samples, samplesAvailable } from './helpers/samples.js';
import { startTestServer, testDb, type TestServer } from './helpers/server.js';

/**
 * #15: C-FIND through dcmtk's findscu at both information models and every level, over the 31
 * instances of the samples' qido-tree (stored with STOW): two patients, six studies, 13 series.
 *
 * Patient 77654033 (Doe^Archibald): CT 1995-09-03 (1 series, 4 images), CR 2001-01-01 (3, 3).
 * Patient 98890234 (Doe^Peter): CT 2001-01-01 (2 series, 7), three MR studies 2003-05-05.
 */
const CT_1995 = '1.3.6.1.4.1.5962.1.1.0.0.0.1196530851.28319.0.1';
const CR_2001 = '1.3.6.1.4.1.5962.1.1.0.0.0.1196527414.5534.0.1';
const CT_2001 = '1.3.6.1.4.1.5962.1.1.0.0.0.1194734704.16302.0.1';
const MR_A = '1.3.6.1.4.1.5962.1.1.0.0.0.1196533885.18148.0.133';
const MR_B = '1.3.6.1.4.1.5962.1.1.0.0.0.1196533885.18148.0.1';
const MR_C = '1.3.6.1.4.1.5962.1.1.0.0.0.1196533885.18148.0.427';
const CT_1995_SERIES = '1.3.6.1.4.1.5962.1.1.0.0.0.1196530851.28319.0.2';

type Response = Record<string, string>;

describe.skipIf(!dcmtkAvailable || !samplesAvailable)(`#15 C-FIND SCP (${testDb})`, () => {
  let server: TestServer;
  let port: number;
  const sink = new MemoryAuditSink();
  const events = sink.events;

  beforeAll(async () => {
    server = await startTestServer(
      { DIMSE_PORT: '0', DIMSE_REMOTE_AES: 'TESTSCU@127.0.0.1:1' },
      { audit: sink },
    );
    port = server.dimse!.port;
    const tree = samples.filter((s) => s.file.startsWith('qido-tree/'));
    const r = await stow(
      `${server.base}/studies`,
      tree.map((s) => ({ body: sampleBytes(s.file) })),
    );
    expect(r.status).toBe(200);
  });
  afterAll(async () => {
    await server?.close();
  });

  /** Runs findscu with `-X` and reads each response identifier back with dcmdump. */
  async function find(
    model: '-P' | '-S',
    keys: string[],
    options: string[] = [],
  ): Promise<{ responses: Response[]; output: string }> {
    const dir = await mkdtemp(join(tmpdir(), 'strata-find-'));
    try {
      const args = ['-v', model, '-X', '-od', dir, ...options, ...peerArgs(port)];
      for (const key of keys) args.push('-k', key);
      const result = await dcmtk('findscu', args);
      const files = (await readdir(dir)).filter((f) => f.startsWith('rsp')).sort();
      const responses: Response[] = [];
      for (const file of files) {
        const dump = (await dcmtk('dcmdump', ['-q', '-Un', join(dir, file)])).stdout;
        const response: Response = {};
        for (const m of dump.matchAll(
          /^\(([0-9a-f]{4},[0-9a-f]{4})\) \w\w (?:\[([^\]]*)\]|(\S+)|\(no value available\))?.*# +\d+, \d+ (\w+)$/gm,
        )) {
          if (m[1]!.startsWith('0002,')) continue; // findscu's file meta, not the response
          const value = (m[2] ?? m[3] ?? '').trim();
          response[m[4]!] = value.startsWith('(no') ? '' : value;
        }
        responses.push(response);
      }
      return { responses, output: result.stdout + result.stderr };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  const values = (responses: Response[], key: string) => responses.map((r) => r[key]).sort();

  it('Patient Root, PATIENT level: one answer per patient, with its study count', async () => {
    const { responses } = await find('-P', [
      'QueryRetrieveLevel=PATIENT',
      'PatientName',
      'PatientID',
      'NumberOfPatientRelatedStudies',
    ]);
    expect(values(responses, 'PatientID')).toEqual(['77654033', '98890234']);
    const peter = responses.find((r) => r['PatientID'] === '98890234')!;
    expect(peter['PatientName']).toBe('Doe^Peter');
    expect(peter['NumberOfPatientRelatedStudies']).toBe('4');
  });

  it('Patient Root, STUDY level within a patient', async () => {
    const { responses } = await find('-P', [
      'QueryRetrieveLevel=STUDY',
      'PatientID=77654033',
      'StudyInstanceUID',
    ]);
    expect(values(responses, 'StudyInstanceUID')).toEqual([CT_1995, CR_2001].sort());
  });

  it('Study Root, STUDY level: person names match case-insensitively with wildcards', async () => {
    const { responses } = await find('-S', [
      'QueryRetrieveLevel=STUDY',
      'PatientName=doe^pet*',
      'StudyInstanceUID',
    ]);
    expect(values(responses, 'StudyInstanceUID')).toEqual([CT_2001, MR_A, MR_B, MR_C].sort());
  });

  it('single-character wildcard ?', async () => {
    const { responses } = await find('-S', [
      'QueryRetrieveLevel=STUDY',
      'PatientID=7765403?',
      'StudyInstanceUID',
    ]);
    expect(values(responses, 'StudyInstanceUID')).toEqual([CT_1995, CR_2001].sort());
  });

  it('date ranges, closed and open', async () => {
    const closed = await find('-S', [
      'QueryRetrieveLevel=STUDY',
      'StudyDate=20010101-20011231',
      'StudyInstanceUID',
    ]);
    expect(values(closed.responses, 'StudyInstanceUID')).toEqual([CR_2001, CT_2001].sort());
    const open = await find('-S', [
      'QueryRetrieveLevel=STUDY',
      'StudyDate=-19991231',
      'StudyInstanceUID',
    ]);
    expect(values(open.responses, 'StudyInstanceUID')).toEqual([CT_1995]);
  });

  it('a list of UIDs (backslash)', async () => {
    const { responses } = await find('-S', [
      'QueryRetrieveLevel=STUDY',
      `StudyInstanceUID=${CT_1995}\\${MR_C}`,
    ]);
    expect(values(responses, 'StudyInstanceUID')).toEqual([CT_1995, MR_C].sort());
  });

  it('returns only the requested keys and the unique key, empty when the match has none', async () => {
    const { responses } = await find('-S', [
      'QueryRetrieveLevel=STUDY',
      `StudyInstanceUID=${CT_2001}`,
      'StudyDescription',
      'StudyDate',
    ]);
    expect(responses).toHaveLength(1);
    expect(Object.keys(responses[0]!).sort()).toEqual(
      [
        'QueryRetrieveLevel',
        'SpecificCharacterSet',
        'StudyDate',
        'StudyDescription',
        'StudyInstanceUID',
      ].sort(),
    );
    expect(responses[0]).toMatchObject({ StudyDate: '20010101', StudyDescription: '' });
  });

  it('Study Root, SERIES level within a study', async () => {
    const { responses } = await find('-S', [
      'QueryRetrieveLevel=SERIES',
      `StudyInstanceUID=${MR_B}`,
      'SeriesInstanceUID',
      'Modality',
    ]);
    expect(responses).toHaveLength(3);
    expect(new Set(values(responses, 'Modality'))).toEqual(new Set(['MR']));
  });

  it('IMAGE level, both models', async () => {
    for (const model of ['-S', '-P'] as const) {
      const { responses } = await find(model, [
        'QueryRetrieveLevel=IMAGE',
        ...(model === '-P' ? ['PatientID=77654033'] : []),
        `StudyInstanceUID=${CT_1995}`,
        `SeriesInstanceUID=${CT_1995_SERIES}`,
        'SOPInstanceUID',
      ]);
      const expected = samples
        .filter((s) => s.series_instance === CT_1995_SERIES)
        .map((s) => s.sop_instance)
        .sort();
      expect(values(responses, 'SOPInstanceUID')).toEqual(expected);
    }
  });

  it('stops at C-CANCEL with a final Cancel (FE00) status', async () => {
    const all = await find('-S', ['QueryRetrieveLevel=IMAGE', 'SOPInstanceUID']);
    expect(all.responses).toHaveLength(31);
    const { responses, output } = await find(
      '-S',
      ['QueryRetrieveLevel=IMAGE', 'SOPInstanceUID'],
      ['--cancel', '2'],
    );
    expect(output).toMatch(/Final Find Response \(Cancel\b/);
    expect(responses.length).toBeLessThan(31);
  });

  it('refuses a PATIENT level query at Study Root (A900)', async () => {
    const { responses, output } = await find('-S', ['QueryRetrieveLevel=PATIENT', 'PatientID']);
    expect(responses).toHaveLength(0);
    expect(output).toMatch(/Final Find Response \(Error: DataSetDoesNotMatchSOPClass\)/);
  });

  it('records each query as 110112 by the calling AE', () => {
    const queries = events.filter((e) => e.type === 'query');
    expect(queries.length).toBeGreaterThan(5);
    expect(queries.every((e) => e.user?.id === 'ae:TESTSCU')).toBe(true);
  });
});

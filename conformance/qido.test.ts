import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeInstance, newUid } from '../test/helpers/make-dicom.js';
import { stow } from '../test/helpers/multipart.js';
import { conformanceTarget } from './target.js';

/**
 * PS3.18 §10.6 Search Transaction (QIDO-RS), black-box. Fixtures carry a PatientID unique to
 * this run, so the suite can run against a server that holds other data; every search is
 * narrowed by it or by the run's UIDs. Where PS3.18 leaves a choice (200 [] or 204 for no
 * match; whether the paging Warning is sent), both answers are accepted.
 */
let target: { base: string; close(): Promise<void> };
const run = randomBytes(4).toString('hex').toUpperCase();
const patientId = `CONF-${run}`;
const study1 = newUid();
const study2 = newUid();
const series1 = newUid();
const series2 = newUid();
const series3 = newUid();
const sops: string[] = [];

beforeAll(async () => {
  target = await conformanceTarget();
  const common = { patientId, patientName: `Conformance^${run}` };
  const instances = [
    makeInstance({
      ...common,
      studyInstanceUid: study1,
      seriesInstanceUid: series1,
      modality: 'CT',
      elements: {
        '00080020': { vr: 'DA', value: '20190315' },
        '00081030': { vr: 'LO', value: 'Conformance study one' },
        '00200011': { vr: 'IS', value: '1' },
        '00200013': { vr: 'IS', value: '1' },
      },
    }),
    makeInstance({
      ...common,
      studyInstanceUid: study1,
      seriesInstanceUid: series1,
      modality: 'CT',
      elements: {
        '00080020': { vr: 'DA', value: '20190315' },
        '00081030': { vr: 'LO', value: 'Conformance study one' },
        '00200011': { vr: 'IS', value: '1' },
        '00200013': { vr: 'IS', value: '2' },
      },
    }),
    makeInstance({
      ...common,
      studyInstanceUid: study1,
      seriesInstanceUid: series2,
      modality: 'MR',
      elements: {
        '00080020': { vr: 'DA', value: '20190315' },
        '00081030': { vr: 'LO', value: 'Conformance study one' },
        '00200011': { vr: 'IS', value: '2' },
      },
    }),
    makeInstance({
      ...common,
      studyInstanceUid: study2,
      seriesInstanceUid: series3,
      modality: 'MR',
      elements: { '00080020': { vr: 'DA', value: '20230704' } },
    }),
  ];
  sops.push(...instances.map((i) => i.sopInstanceUid));
  const stored = await stow(
    `${target.base}/studies`,
    instances.map((i) => ({ body: i.bytes })),
  );
  expect(stored.status).toBe(200);
});
afterAll(async () => {
  await target?.close();
});

type Ds = Record<string, { vr: string; Value?: unknown[] }>;

async function search(path: string): Promise<{ status: number; json: Ds[]; response: Response }> {
  const response = await fetch(`${target.base}${path}`, {
    headers: { Accept: 'application/dicom+json' },
  });
  const text = await response.text();
  return { status: response.status, json: text === '' ? [] : (JSON.parse(text) as Ds[]), response };
}

const value = (ds: Ds | undefined, tag: string): unknown => ds?.[tag]?.Value?.[0];
const vr = (ds: Ds | undefined, tag: string): string | undefined => ds?.[tag]?.vr;
/** RetrieveURL (0008,1190) is absolute and names the resource; only its end is portable. */
const retrieveUrl = (ds: Ds | undefined): string => String(value(ds, '00081190'));
const uids = (results: Ds[], tag: string) => results.map((ds) => value(ds, tag)).sort();

describe('PS3.18 10.6 Search Transaction', () => {
  it('10.6.3.3.1: a study answers with the Table 10.6.3-3 attributes, computed ones included', async () => {
    const { status, json, response } = await search(`/studies?StudyInstanceUID=${study1}`);
    expect(status).toBe(200);
    expect(response.headers.get('content-type')?.split(';')[0]).toBe('application/dicom+json');
    expect(json).toHaveLength(1);
    const ds = json[0]!;
    expect(ds['0020000D']).toEqual({ vr: 'UI', Value: [study1] });
    expect(value(ds, '00100020')).toBe(patientId);
    expect(value(ds, '00100010')).toEqual({ Alphabetic: `Conformance^${run}` });
    expect(value(ds, '00080020')).toBe('20190315');
    expect(ds['00080061']?.vr).toBe('CS');
    expect([...(ds['00080061']?.Value ?? [])].sort()).toEqual(['CT', 'MR']);
    expect(Number(value(ds, '00201206'))).toBe(2);
    expect(Number(value(ds, '00201208'))).toBe(3);
    // The VR of each attribute, as the DICOM JSON model requires (PS3.18 F.2.3).
    const vrs = ['0020000D', '00100020', '00100010', '00080020', '00201206', '00201208'];
    expect(vrs.map((tag) => vr(ds, tag))).toEqual(['UI', 'LO', 'PN', 'DA', 'IS', 'IS']);
    expect(retrieveUrl(ds)).toMatch(new RegExp(`^https?://.+/studies/${study1}$`));
  });

  it('10.6.1.2: PatientID single value and wildcard matching', async () => {
    expect(uids((await search(`/studies?PatientID=${patientId}`)).json, '0020000D')).toEqual(
      [study1, study2].sort(),
    );
    const prefix = patientId.slice(0, -2);
    expect(uids((await search(`/studies?PatientID=${prefix}*`)).json, '0020000D')).toEqual(
      [study1, study2].sort(),
    );
    expect(uids((await search(`/studies?00100020=${prefix}??`)).json, '0020000D')).toEqual(
      [study1, study2].sort(),
    );
  });

  it('10.6.1.2: StudyDate range matching, closed and open', async () => {
    const by = async (range: string) =>
      uids((await search(`/studies?PatientID=${patientId}&StudyDate=${range}`)).json, '0020000D');
    expect(await by('20190101-20191231')).toEqual([study1]);
    expect(await by('20200101-')).toEqual([study2]);
    expect(await by('-20190315')).toEqual([study1]);
  });

  it('10.6.1.2: ModalitiesInStudy matches studies with a series of that modality', async () => {
    const { json } = await search(`/studies?PatientID=${patientId}&ModalitiesInStudy=CT`);
    expect(uids(json, '0020000D')).toEqual([study1]);
  });

  it('10.6.1.2: a list of Study Instance UIDs', async () => {
    const { json } = await search(`/studies?StudyInstanceUID=${study1},${study2}`);
    expect(uids(json, '0020000D')).toEqual([study1, study2].sort());
  });

  it('8.3.4.3: includefield returns the attribute asked for', async () => {
    const { json } = await search(`/studies?StudyInstanceUID=${study1}&includefield=00081030`);
    expect(value(json[0], '00081030')).toBe('Conformance study one');
  });

  it('8.3.4.4: limit and offset page through the matches without repeats', async () => {
    const seen: unknown[] = [];
    for (const offset of [0, 1]) {
      const page = await search(`/studies?PatientID=${patientId}&limit=1&offset=${offset}`);
      expect(page.json).toHaveLength(1);
      const warning = page.response.headers.get('warning');
      if (warning !== null) expect(warning).toMatch(/^299 /);
      seen.push(value(page.json[0], '0020000D'));
    }
    expect(seen.sort()).toEqual([study1, study2].sort());
  });

  it('8.3.4.4: no match is 200 with an empty array, or 204', async () => {
    const { status, json } = await search(`/studies?PatientID=${patientId}-nobody`);
    expect([200, 204]).toContain(status);
    expect(json).toEqual([]);
  });

  it('10.6.1.2: a series-level attribute in a study search is not an error', async () => {
    const { status } = await search(`/studies?PatientID=${patientId}&Modality=MR`);
    expect(status).toBe(200);
  });

  it('8.3.4: a malformed date is a 400', async () => {
    const { status } = await search(`/studies?StudyDate=2019-03-15x`);
    expect(status).toBe(400);
  });

  it('10.6.3.3.2: series of a study with Table 10.6.3-4 attributes', async () => {
    const { json } = await search(`/studies/${study1}/series`);
    expect(uids(json, '0020000E')).toEqual([series1, series2].sort());
    const ct = json.find((ds) => value(ds, '0020000E') === series1)!;
    expect(value(ct, '00080060')).toBe('CT');
    expect(Number(value(ct, '00200011'))).toBe(1);
    expect(Number(value(ct, '00201209'))).toBe(2);
    expect(['0020000E', '00080060', '00200011', '00201209'].map((tag) => vr(ct, tag))).toEqual([
      'UI',
      'CS',
      'IS',
      'IS',
    ]);
    expect(retrieveUrl(ct)).toMatch(
      new RegExp(`^https?://.+/studies/${study1}/series/${series1}$`),
    );
    const mr = await search(`/studies/${study1}/series?Modality=MR`);
    expect(uids(mr.json, '0020000E')).toEqual([series2]);
  });

  it('10.6.1.2: all series, matched on study and series attributes', async () => {
    const mr = await search(`/series?PatientID=${patientId}&Modality=MR`);
    expect(uids(mr.json, '0020000E')).toEqual([series2, series3].sort());
    const one = await search(`/studies/${study1}/series?SeriesInstanceUID=${series2}`);
    expect(uids(one.json, '0020000E')).toEqual([series2]);
    expect(value(one.json[0], '00080060')).toBe('MR');
  });

  it('8.3.4.3: includefield takes a comma list and repeats', async () => {
    const { json } = await search(
      `/studies?StudyInstanceUID=${study1}&includefield=00081030,PatientID&includefield=00100010`,
    );
    expect(value(json[0], '00081030')).toBe('Conformance study one');
    expect(value(json[0], '00100020')).toBe(patientId);
    expect(value(json[0], '00100010')).toEqual({ Alphabetic: `Conformance^${run}` });
  });

  it('10.6.3.3.3: instances of a series, of a study, and by SOP Instance UID', async () => {
    const inSeries = await search(`/studies/${study1}/series/${series1}/instances`);
    expect(uids(inSeries.json, '00080018')).toEqual([sops[0], sops[1]].sort());
    expect(value(inSeries.json[0], '00080016')).toBe('1.2.840.10008.5.1.4.1.1.2');
    const second = inSeries.json.find((ds) => value(ds, '00080018') === sops[1])!;
    expect(Number(value(second, '00200013'))).toBe(2);
    expect(['00080016', '00080018', '00200013'].map((tag) => vr(second, tag))).toEqual([
      'UI',
      'UI',
      'IS',
    ]);
    expect(retrieveUrl(second)).toMatch(
      new RegExp(`^https?://.+/studies/${study1}/series/${series1}/instances/${sops[1]}$`),
    );
    const inStudy = await search(`/studies/${study1}/instances`);
    expect(inStudy.json).toHaveLength(3);
    const one = await search(`/instances?SOPInstanceUID=${sops[3]}`);
    expect(uids(one.json, '00080018')).toEqual([sops[3]]);
    expect(value(one.json[0], '0020000D')).toBe(study2);
  });
});

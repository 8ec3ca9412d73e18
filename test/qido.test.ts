import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stow } from './helpers/multipart.js';
import {
  PET_IMAGE_STORAGE,
  qidoFixture,
  REFERENCED_STUDY,
  type Fixture,
} from './helpers/qido-fixtures.js';
import { startTestServer, type TestServer } from './helpers/server.js';

/**
 * QIDO-RS (PS3.18 10.6) over real HTTP against the index STOW filled. The server's maxResults
 * (QIDO_MAX_LIMIT) is 4, below the 5 instances of the fixture, so the cap can be seen.
 */
let server: TestServer;
let f: Fixture;

beforeAll(async () => {
  server = await startTestServer({ QIDO_MAX_LIMIT: '4' });
  f = qidoFixture();
  const stored = await stow(
    `${server.base}/studies`,
    f.instances.map((i) => ({ body: i.bytes })),
  );
  expect(stored.status).toBe(200);
});
afterAll(async () => {
  await server?.close();
});

type Ds = Record<string, { vr: string; Value?: unknown[] }>;

async function qido(path: string, init?: RequestInit) {
  const response = await fetch(`${server.base}${path}`, init);
  const text = await response.text();
  const type = response.headers.get('content-type');
  return {
    status: response.status,
    type,
    warning: response.headers.get('warning'),
    json: text === '' ? undefined : (JSON.parse(text) as Ds[] & Record<string, unknown>),
    text,
  };
}

const first = (ds: Ds, tag: string) => ds[tag]?.Value?.[0];

/** The values of `tag` in a search's results: 200 with them, or 204 (PS3.18 8.3.4.4.1) for none. */
async function found(path: string, tag: string): Promise<unknown[]> {
  const r = await qido(path);
  if (r.status === 204) {
    expect(r.text).toBe('');
    return [];
  }
  expect(r.status, r.text).toBe(200);
  expect(r.json!.length).toBeGreaterThan(0);
  return r.json!.map((ds) => first(ds, tag));
}
const studies = (query: string) => found(`/studies?${query}`, '0020000D');

describe('Search for Studies (PS3.18 10.6.1, Table 10.6.3-3)', () => {
  it('lists every study newest first with the required and computed attributes', async () => {
    const r = await qido('/studies');
    expect(r.status).toBe(200);
    expect(r.type).toBe('application/dicom+json');
    expect(r.json!.map((ds) => first(ds, '0020000D'))).toEqual([f.studyC, f.studyB, f.studyA]);
    const a = r.json![2]!;
    expect(first(a, '00100010')).toEqual({ Alphabetic: 'Doe^John' });
    expect(first(a, '00100020')).toBe('PID-A');
    expect(first(a, '00080020')).toBe('20200105');
    expect(first(a, '00080050')).toBe('ACC%1');
    expect(a['00080061']).toEqual({ vr: 'CS', Value: ['CT', 'MR'] });
    expect(a['00201206']).toEqual({ vr: 'IS', Value: [2] });
    expect(a['00201208']).toEqual({ vr: 'IS', Value: [3] });
    expect(first(a, '00081190')).toBe(`${server.base}/studies/${f.studyA}`);
    // Type R attributes are present even when the study has no value (zero length).
    expect(r.json![0]!['00080030']).toEqual({ vr: 'TM' });
    // Tag order in the JSON text (PS3.18 F.2.2).
    const keys = Object.keys(JSON.parse(r.text)[0] as object);
    expect(keys).toEqual([...keys].sort());
  });

  it('matches PatientID literally, with * and ?, and _ and % only as themselves', async () => {
    expect(await studies('PatientID=PID-A')).toEqual([f.studyA]);
    expect(await studies('00100020=PID?B')).toEqual([f.studyB]);
    expect(await studies('PatientID=PID_*')).toEqual([f.studyC]);
    expect(await studies('PatientID=PID*')).toEqual([f.studyC, f.studyB, f.studyA]);
    expect(await studies('AccessionNumber=ACC%251')).toEqual([f.studyA]);
    expect(await studies('AccessionNumber=ACC_1')).toEqual([]);
  });

  it('matches PatientName case-insensitively and fuzzily when asked', async () => {
    expect(await studies('PatientName=doe%5Ejohn')).toEqual([f.studyA]);
    expect(await studies('PatientName=*oe*')).toEqual([f.studyA]);
    expect(await studies("PatientName=O'Brien*")).toEqual([f.studyC]);
    expect(await studies('PatientName=jurgen%20muller')).toEqual([]);
    expect(await studies('PatientName=jurgen%20muller&fuzzymatching=true')).toEqual([f.studyB]);
    expect(await studies('PatientName=jo&fuzzymatching=true')).toEqual([f.studyA]);
    expect(await studies('ReferringPhysicianName=anna&fuzzymatching=true')).toEqual([f.studyA]);
  });

  it('matches date and time ranges, open ranges and combined date-time ranges', async () => {
    expect(await studies('StudyDate=20210101-')).toEqual([f.studyC, f.studyB]);
    expect(await studies('StudyDate=-20201231')).toEqual([f.studyA]);
    expect(await studies('StudyDate=20200105')).toEqual([f.studyA]);
    expect(await studies('StudyTime=08-09')).toEqual([f.studyB]);
    // Combined (PS3.4 C.2.2.2.5): from 2020-01-05 10:00 to 2021-03-10 09:00.
    expect(await studies('StudyDate=20200105-20210310&StudyTime=1000-0900')).toEqual([
      f.studyB,
      f.studyA,
    ]);
  });

  it('matches ModalitiesInStudy, Modality at study level, lists and multiple value matching', async () => {
    expect(await studies('ModalitiesInStudy=MR')).toEqual([f.studyB, f.studyA]);
    expect(await studies('Modality=MR')).toEqual([f.studyB, f.studyA]);
    expect(await studies('ModalitiesInStudy=CT%5CPT')).toEqual([f.studyC, f.studyA]);
    expect(await studies('ModalitiesInStudy=CT%5CMR&multiplevaluematching=true')).toEqual([
      f.studyA,
    ]);
  });

  it('matches a list of UIDs separated by backslash or comma', async () => {
    expect(await studies(`StudyInstanceUID=${f.studyA}%5C${f.studyB}`)).toEqual([
      f.studyB,
      f.studyA,
    ]);
    expect(await studies(`0020000D=${f.studyA},${f.studyC}`)).toEqual([f.studyC, f.studyA]);
  });

  it('matches empty values only with emptyvaluematching=true', async () => {
    expect(await studies('StudyTime=%22%22&emptyvaluematching=true')).toEqual([f.studyC]);
    // Without it, "" is a literal value: no time is written that way.
    expect((await qido('/studies?StudyTime=%22%22')).status).toBe(400);
    expect(await studies('AccessionNumber=%22%22')).toEqual([]);
    expect(await studies('AccessionNumber=%22%22&emptyvaluematching=true')).toEqual([f.studyC]);
  });

  it('returns includefield attributes, all of them with all, and ignores lower levels', async () => {
    const one = (
      await qido(
        `/studies?StudyInstanceUID=${f.studyA}&includefield=PatientAge,00080060&includefield=00080062`,
      )
    ).json![0]!;
    expect(one['00101010']).toEqual({ vr: 'AS', Value: ['050Y'] });
    expect(one['00080060']).toBeUndefined();
    expect(one['00080062']).toEqual({ vr: 'UI', Value: ['1.2.840.10008.5.1.4.1.1.2'] });
    const c = (await qido(`/studies?StudyInstanceUID=${f.studyC}&includefield=SOPClassesInStudy`))
      .json![0]!;
    expect(c['00080062']).toEqual({ vr: 'UI', Value: [PET_IMAGE_STORAGE] });
    const all = (await qido(`/studies?StudyInstanceUID=${f.studyA}&includefield=all`)).json![0]!;
    expect(all['00101010']).toEqual({ vr: 'AS', Value: ['050Y'] });
    expect(all['00080062']).toEqual({ vr: 'UI', Value: ['1.2.840.10008.5.1.4.1.1.2'] });
  });

  it('pages with limit and offset, stably, and warns when more results remain', async () => {
    const pages = [];
    for (let offset = 0; offset < 3; offset++) {
      const r = await qido(`/studies?limit=1&offset=${offset}`);
      pages.push(...r.json!.map((ds) => first(ds, '0020000D')));
      if (offset < 2) {
        expect(r.warning).toMatch(
          new RegExp(
            `^299 \\S+ "There are ${2 - offset} additional results that can be requested with offset=${offset + 1}"$`,
          ),
        );
      } else expect(r.warning).toBeNull();
    }
    expect(pages).toEqual([f.studyC, f.studyB, f.studyA]);
  });

  it('caps a limit above the maximum (QIDO_MAX_LIMIT) and says what remains', async () => {
    const r = await qido('/instances?limit=1000000000');
    expect(r.status).toBe(200);
    expect(r.json).toHaveLength(4);
    expect(r.warning).toMatch(
      /^299 \S+ "There are 1 additional results that can be requested with offset=4"$/,
    );
    const rest = await qido('/instances?limit=1000000000&offset=4');
    expect(rest.json).toHaveLength(1);
    expect(rest.warning).toBeNull();
    const all = [...r.json!, ...rest.json!].map((ds) => first(ds, '00080018'));
    expect(new Set(all).size).toBe(5);
  });

  it('builds RetrieveURL and the Warning agent from the public base URL rule', async () => {
    const r = await qido(`/studies?limit=1&offset=1`, {
      headers: {
        'X-Forwarded-Proto': 'https',
        'X-Forwarded-Host': 'pacs.example',
        'X-Forwarded-Prefix': '/pacs',
      },
    });
    expect(first(r.json![0]!, '00081190')).toBe(
      `https://pacs.example/pacs/dicom-web/studies/${f.studyB}`,
    );
    expect(r.warning).toMatch(/^299 pacs\.example "There are 1 additional results/);
  });

  it('answers 204 with no body when nothing matches or the offset is past the end', async () => {
    for (const query of ['PatientID=nobody', 'offset=3', 'PatientID=PID-A&offset=1']) {
      const r = await qido(`/studies?${query}`);
      expect(r.status, query).toBe(204);
      expect(r.text).toBe('');
      expect(r.warning).toBeNull();
    }
  });

  it("answers OHIF's study list query exactly", async () => {
    const r = await qido(
      '/studies?PatientName=*oe*&00100020=*PID*&StudyDescription=*CT*&StudyDate=20200101-20201231' +
        '&Modality=CT&limit=101&offset=0&fuzzymatching=false' +
        '&includefield=00081030%2C00080060%2C00080090%2C00100030',
    );
    expect(r.status).toBe(200);
    expect(r.json).toHaveLength(1);
    const ds = r.json![0]!;
    expect(first(ds, '0020000D')).toBe(f.studyA);
    expect(first(ds, '00081030')).toBe('Chest CT');
    expect(first(ds, '00080090')).toEqual({ Alphabetic: 'Smith^Anna' });
    expect(first(ds, '00100030')).toBe('19700101');
    expect(ds['00080061']).toEqual({ vr: 'CS', Value: ['CT', 'MR'] });
    // Modality is a series attribute: not returned at the study level (PS3.18 10.6.3.3).
    expect(ds['00080060']).toBeUndefined();
  });

  it('matches the other study keys of Table 10.6.1-5 and the common extras', async () => {
    expect(await studies('StudyID=S1')).toEqual([f.studyA]);
    expect(await studies('ReferringPhysicianName=smith%5Eanna')).toEqual([f.studyA]);
    // A name matches on its first component group, literally and with wildcards.
    expect(await studies('ReferringPhysicianName=yamada%5Etaro')).toEqual([f.studyC]);
    expect(await studies('ReferringPhysicianName=*taro')).toEqual([f.studyC]);
    expect(await studies('PatientBirthDate=19600101-19751231')).toEqual([f.studyA]);
    expect(await studies('00100040=F')).toEqual([f.studyC]);
    // Only PN is case-insensitive (PS3.4 C.2.2.2.1); other text is matched exactly.
    expect(await studies('StudyDescription=chest*')).toEqual([]);
    expect(await studies('StudyDescription=Chest*')).toEqual([f.studyA]);
    expect(await studies('PatientSex=f')).toEqual([]);
  });

  it('treats an empty value or a lone * as universal matching: all match, the attribute returned', async () => {
    const r = await qido('/studies?PatientAge=&StudyDescription=*');
    expect(r.json!.map((ds) => first(ds, '0020000D'))).toEqual([f.studyC, f.studyB, f.studyA]);
    expect(r.json![2]!['00101010']).toEqual({ vr: 'AS', Value: ['050Y'] });
    expect(r.json![0]!['00101010']).toBeUndefined();
  });

  it('ignores match keys of a lower level in a study search', async () => {
    const ignored = `SOPClassUID=${PET_IMAGE_STORAGE}&SeriesDescription=nothing&InstanceNumber=99`;
    expect(await studies(ignored)).toEqual([f.studyC, f.studyB, f.studyA]);
  });

  it('warns when fuzzy matching is asked for a name it cannot fold, and matches literally', async () => {
    const r = await qido('/series?PerformingPhysicianName=x*&fuzzymatching=true');
    expect(r.status).toBe(204);
    expect(r.warning).toMatch(
      /^299 \S+ "The fuzzymatching parameter is not supported\. Only literal matching has been performed\."$/,
    );
    expect((await qido('/studies?PatientName=doe&fuzzymatching=true')).warning).toBeNull();
  });

  it.each([
    ['limit=-1', 'qido.bad_parameter', /limit/],
    ['limit=abc', 'qido.bad_parameter', /limit/],
    ['limit=0', 'qido.bad_parameter', /limit: must be at least 1/],
    ['limit=1.5', 'qido.bad_parameter', /limit/],
    ['offset=-1', 'qido.bad_parameter', /offset/],
    ['offset=x', 'qido.bad_parameter', /offset/],
    ['StudyDate=2020-01-01', 'qido.bad_parameter', /StudyDate: expected a date/],
    ['StudyDate=20201301', 'qido.bad_parameter', /StudyDate/],
    ['StudyTime=2561', 'qido.bad_parameter', /StudyTime/],
    ['StudyDate=20200101-20200201-20200301', 'qido.bad_parameter', /StudyDate/],
    ['PatientBirthDate=1970', 'qido.bad_parameter', /PatientBirthDate/],
    ['ModalitiesInStudy=CT&includefield=0008', 'qido.unknown_attribute', /includefield/],
    ['PatientNam=x', 'qido.unknown_attribute', /PatientNam/],
    ['0010001=x', 'qido.unknown_attribute', /0010001/],
    ['00091001=x', 'qido.unknown_attribute', /00091001/],
    ['StudyInstanceUID=1.2.abc', 'qido.bad_parameter', /StudyInstanceUID/],
    ['includefield=Nope', 'qido.unknown_attribute', /includefield/],
    ['fuzzymatching=maybe', 'qido.bad_parameter', /fuzzymatching/],
  ])('refuses %s with 400 problem+json', async (query, code, detail) => {
    const r = await qido(`/studies?${query}`);
    expect(r.status).toBe(400);
    expect(r.type).toBe('application/problem+json');
    expect(r.json!['code']).toBe(code);
    expect(r.json!['detail']).toMatch(detail);
  });

  it('treats hostile values as data and keeps answering', async () => {
    const hostile = encodeURIComponent("';DROP TABLE studies;--");
    expect(await studies(`PatientName=${hostile}`)).toEqual([]);
    expect(await studies(`PatientID=${hostile}*`)).toEqual([]);
    expect(await studies('PatientID=%5C%5C%25')).toEqual([]);
    expect(await studies('')).toHaveLength(3);
  });

  it('ignores parameters that are not attribute IDs (cache busters, accept)', async () => {
    expect(await studies('_=12345&accept=application/dicom%2Bjson')).toHaveLength(3);
  });

  it('negotiates: dicom+json for application/json and */*, 406 for other types', async () => {
    for (const accept of ['application/json', '*/*', 'application/dicom+json; q=0.9']) {
      const r = await qido('/studies', { headers: { Accept: accept } });
      expect(r.status).toBe(200);
      expect(r.type).toBe('application/dicom+json');
    }
    for (const accept of ['application/dicom+xml', 'image/png', 'application/dicom+json; q=0']) {
      expect((await qido('/studies', { headers: { Accept: accept } })).status).toBe(406);
    }
  });

  it('answers multipart/related XML (PS3.19 Native DICOM Model) when asked, 204 for none', async () => {
    const accept = { Accept: 'multipart/related; type="application/dicom+xml"' };
    const response = await fetch(`${server.base}/studies?PatientID=PID-A`, { headers: accept });
    expect(response.status).toBe(200);
    const type = response.headers.get('content-type')!;
    expect(type).toMatch(/^multipart\/related; type="application\/dicom\+xml"; boundary=/);
    const boundary = type.split('boundary=')[1]!;
    const body = await response.text();
    const parts = body.split(`--${boundary}`).slice(1, -1);
    expect(parts).toHaveLength(1);
    expect(parts[0]).toContain('Content-Type: application/dicom+xml');
    expect(parts[0]).toContain(
      '<DicomAttribute tag="00100010" vr="PN" keyword="PatientName"><PersonName number="1"><Alphabetic><FamilyName>Doe</FamilyName><GivenName>John</GivenName></Alphabetic></PersonName></DicomAttribute>',
    );
    expect(parts[0]).toContain(`<Value number="1">${f.studyA}</Value>`);
    expect(body.endsWith(`--${boundary}--\r\n`)).toBe(true);
    const none = await fetch(`${server.base}/studies?PatientID=nobody`, { headers: accept });
    expect(none.status).toBe(204);
    // PS3.18 8.3.3.1: the accept query parameter stands in for the header (hyperlinks).
    const linked = await fetch(
      `${server.base}/studies?PatientID=PID-A&accept=${encodeURIComponent(accept.Accept)}`,
    );
    expect(linked.headers.get('content-type')).toMatch(
      /^multipart\/related; type="application\/dicom\+xml"/,
    );
  });
});

describe('Search for Series (PS3.18 10.6.1, Table 10.6.3-4)', () => {
  it('lists the series of a study by SeriesNumber with their instance counts', async () => {
    const r = await qido(`/studies/${f.studyA}/series`);
    expect(r.json!.map((ds) => first(ds, '0020000E'))).toEqual([f.seriesA1, f.seriesA2]);
    expect(r.json![0]!['00201209']).toEqual({ vr: 'IS', Value: [2] });
    expect(first(r.json![0]!, '00080060')).toBe('CT');
    expect(first(r.json![0]!, '00081190')).toBe(
      `${server.base}/studies/${f.studyA}/series/${f.seriesA1}`,
    );
    expect(r.json![0]!['00100020']).toBeUndefined();
    const asked = await qido(`/studies/${f.studyA}/series?includefield=PatientID`);
    expect(first(asked.json![0]!, '00100020')).toBe('PID-A');
    expect(asked.json![0]!['00100010']).toBeUndefined();
  });

  it('matches Modality and SeriesNumber, and study attributes across /series', async () => {
    expect(
      (await qido(`/studies/${f.studyA}/series?Modality=MR`)).json!.map((d) =>
        first(d, '0020000E'),
      ),
    ).toEqual([f.seriesA2]);
    expect((await qido('/series?SeriesNumber=7')).json!.map((d) => first(d, '0020000E'))).toEqual([
      f.seriesC1,
    ]);
    const r = await qido('/series?PatientID=PID-B');
    expect(r.json!.map((d) => first(d, '0020000E'))).toEqual([f.seriesB1]);
    expect(first(r.json![0]!, '00100020')).toBe('PID-B');
  });

  it('matches the series keys of Table 10.6.1-5 and the common extras', async () => {
    const ids = async (q: string) => (await found(`/series?${q}`, '0020000E')).sort();
    expect(await ids(`SeriesInstanceUID=${f.seriesA2}`)).toEqual([f.seriesA2]);
    expect(await ids(`0020000E=${f.seriesA1}%5C${f.seriesB1}`)).toEqual(
      [f.seriesA1, f.seriesB1].sort(),
    );
    expect(await ids('PerformedProcedureStepStartDate=20200101-20200131')).toEqual([f.seriesA1]);
    expect(await ids('PerformedProcedureStepStartDate=20200106-')).toEqual([]);
    expect(await ids('PerformedProcedureStepStartTime=10-1015')).toEqual([f.seriesA1]);
    expect(await ids('PerformedProcedureStepStartTime=1011-')).toEqual([]);
    expect(await ids('SeriesDescription=Axial*')).toEqual([f.seriesA1]);
    expect(await ids('BodyPartExamined=HEAD')).toEqual([f.seriesA2]);
    expect(await ids('InstitutionName=Clinic?B')).toEqual([f.seriesA2]);
    expect(await ids('InstitutionName=Clinic%25B')).toEqual([]);
    expect(await ids('InstitutionName=*Hospital&Modality=CT')).toEqual([f.seriesA1]);
    // Study keys in a series search narrow by the series' study.
    expect(await ids(`StudyInstanceUID=${f.studyA}&Modality=MR`)).toEqual([f.seriesA2]);
  });

  it('matches inside RequestAttributesSequence items (sequence matching)', async () => {
    const ids = (q: string) => found(`/series?${q}`, '0020000E');
    expect(await ids('RequestAttributesSequence.ScheduledProcedureStepID=SPS1')).toEqual([
      f.seriesA1,
    ]);
    expect(await ids('00400275.00400009=SPS*&00400275.00401001=RP1')).toEqual([f.seriesA1]);
    expect(await ids('RequestAttributesSequence.RequestedProcedureID=RP2')).toEqual([]);
    const r = await qido('/series?RequestAttributesSequence.ScheduledProcedureStepID=SPS1');
    expect(r.json![0]!['00400275']?.vr).toBe('SQ');
  });
});

describe('Search for Instances (PS3.18 10.6.1, Table 10.6.3-5)', () => {
  it('lists the instances of a series by InstanceNumber', async () => {
    const r = await qido(`/studies/${f.studyA}/series/${f.seriesA1}/instances`);
    expect(r.json!.map((d) => first(d, '00200013'))).toEqual([1, 2]);
    const one = r.json![0]!;
    expect(first(one, '00080016')).toBe('1.2.840.10008.5.1.4.1.1.2');
    expect(first(one, '00280010')).toBe(5);
    expect(first(one, '00081190')).toMatch(
      new RegExp(`/studies/${f.studyA}/series/${f.seriesA1}/instances/[0-9.]+$`),
    );
  });

  it('searches a study and the whole archive, returning study and series attributes', async () => {
    expect((await qido(`/studies/${f.studyA}/instances`)).json).toHaveLength(3);
    const r = await qido('/instances?PatientID=PID-B');
    expect(r.json).toHaveLength(1);
    expect(first(r.json![0]!, '00100020')).toBe('PID-B');
    expect(first(r.json![0]!, '00080060')).toBe('MR');
    const sop = first(r.json![0]!, '00080018') as string;
    expect((await qido(`/instances?SOPInstanceUID=${sop}`)).json).toHaveLength(1);
    expect((await qido(`/studies/${f.studyA}/instances?InstanceNumber=2`)).json).toHaveLength(1);
  });

  it('matches SOPClassUID, each value of a multi-valued attribute, and DT ranges', async () => {
    const sops = async (path: string) => (await found(path, '00080018')).length;
    expect(await sops(`/instances?SOPClassUID=${PET_IMAGE_STORAGE}`)).toBe(1);
    const inA = `/studies/${f.studyA}/instances`;
    expect(await sops(`${inA}?00080016=${PET_IMAGE_STORAGE},1.2.840.10008.5.1.4.1.1.2`)).toBe(3);
    expect(await sops(`${inA}?SOPClassUID=${PET_IMAGE_STORAGE}`)).toBe(0);
    // ImageType ORIGINAL\PRIMARY\AXIAL and DERIVED\SECONDARY: any stored value may match.
    expect(await sops(`${inA}?ImageType=AXIAL`)).toBe(1);
    expect(await sops(`${inA}?ImageType=ORIGINAL%5CSECONDARY`)).toBe(2);
    // Multiple Value Matching (PS3.4 C.2.2.2.8): every key value must be among the stored ones.
    expect(await sops(`${inA}?ImageType=AXIAL%5CORIGINAL&multiplevaluematching=true`)).toBe(1);
    expect(await sops(`${inA}?ImageType=ORIGINAL%5CSECONDARY&multiplevaluematching=true`)).toBe(0);
    // AcquisitionDateTime 20200105101200.5 and 20200105103000.
    expect(await sops(`${inA}?AcquisitionDateTime=20200105101000-20200105102000`)).toBe(1);
    expect(await sops(`${inA}?AcquisitionDateTime=202001051030-`)).toBe(1);
    expect(await sops(`${inA}?AcquisitionDateTime=-20200105`)).toBe(2);
    expect(await sops(`${inA}?AcquisitionDateTime=20200105101200.5`)).toBe(1);
    expect(await sops(`${inA}?ImageType=%22%22&emptyvaluematching=true`)).toBe(1);
    const bad = await qido(`${inA}?AcquisitionDateTime=2020-01-05`);
    expect(bad.status).toBe(400);
  });

  it('matches inside an instance-level sequence (ReferencedStudySequence)', async () => {
    const sops = async (q: string) => (await found(`/instances?${q}`, '00080018')).length;
    expect(await sops(`ReferencedStudySequence.ReferencedSOPInstanceUID=${REFERENCED_STUDY}`)).toBe(
      1,
    );
    expect(
      await sops(
        `00081110.00081155=1.2.3,${REFERENCED_STUDY}&00081110.00081150=1.2.840.10008.3.1.2.3.1`,
      ),
    ).toBe(1);
    // Both sub-keys must hold in the same item.
    expect(
      await sops(
        `00081110.00081155=${REFERENCED_STUDY}&ReferencedStudySequence.ReferencedSOPClassUID=1.2.3`,
      ),
    ).toBe(0);
    // A study search does not see instance-level sequences: the key is ignored.
    expect(
      await studies(`ReferencedStudySequence.ReferencedSOPInstanceUID=${REFERENCED_STUDY}`),
    ).toHaveLength(3);
  });

  it('returns higher-level attributes in a series instance search only when asked', async () => {
    const path = `/studies/${f.studyA}/series/${f.seriesA1}/instances`;
    const plain = (await qido(path)).json![0]!;
    expect(plain['00100020']).toBeUndefined();
    expect(plain['00080060']).toBeUndefined();
    const asked = (await qido(`${path}?includefield=PatientID,Modality&PatientName=Doe*`))
      .json![0]!;
    expect(first(asked, '00100020')).toBe('PID-A');
    expect(first(asked, '00100010')).toEqual({ Alphabetic: 'Doe^John' });
    expect(first(asked, '00080060')).toBe('CT');
    expect(asked['00080020']).toBeUndefined();
  });

  it('returns instance attributes from the stored metadata on includefield', async () => {
    const r = await qido(
      `/studies/${f.studyA}/series/${f.seriesA1}/instances?includefield=PhotometricInterpretation`,
    );
    expect(r.json![0]!['00280004']).toEqual({ vr: 'CS', Value: ['MONOCHROME2'] });
    const all = await qido(`/studies/${f.studyB}/instances?includefield=all`);
    expect(all.json![0]!['7FE00010']).toBeUndefined();
    expect(all.json![0]!['00280002']).toEqual({ vr: 'US', Value: [1] });
  });

  it('refuses a malformed UID in the path with 400', async () => {
    const r = await qido('/studies/not-a-uid/series');
    expect(r.status).toBe(400);
  });
});

import { PgDialect } from 'drizzle-orm/pg-core';
import { describe, expect, it } from 'vitest';
import { compileWhere } from './compile.js';
import { parseQido, type QidoResource } from './parse.js';

const dialect = new PgDialect();
const limits = { defaultLimit: 100, maxLimit: 1000 };

/** The WHERE clause and its parameters for a query string (without the partition clause). */
function where(query: string, resource: QidoResource = { level: 'study' }) {
  const parsed = parseQido(resource, new URLSearchParams(query).entries(), limits);
  const { sql, params } = dialect.sqlToQuery(compileWhere(parsed));
  const prefix = `"${resource.level === 'study' ? 'studies' : resource.level === 'series' ? 'series' : 'instances'}"."partition_key" = $1`;
  expect(sql.startsWith(prefix)).toBe(true);
  expect(params[0]).toBe('default');
  return { sql: sql.slice(prefix.length).replace(/^ AND /, ''), params: params.slice(1) };
}

describe('compileWhere (PS3.4 C.2.2.2 matching as parameterised SQL)', () => {
  it('single value matching: a column equality with the value as a parameter', () => {
    expect(where('PatientID=PID-1')).toEqual({
      sql: '"studies"."patient_id" = $2',
      params: ['PID-1'],
    });
  });

  it('wildcards: * and ? become % and _, while % and _ in the value are escaped', () => {
    expect(where('AccessionNumber=A%25_*?')).toEqual({
      sql: `"studies"."accession_number" LIKE $2 ESCAPE '\\'`,
      params: ['A\\%\\_%_'],
    });
  });

  it('a backslash separates values (PS3.5 6.4 value multiplicity): any of them matches', () => {
    expect(where('AccessionNumber=A1\\B*')).toEqual({
      sql: `("studies"."accession_number" = $2 OR "studies"."accession_number" LIKE $3 ESCAPE '\\')`,
      params: ['A1', 'B%'],
    });
  });

  it('PN: case-insensitive on upper(), matching the first component group too', () => {
    expect(where('PatientName=Doe^John')).toEqual({
      sql: `(upper("studies"."patient_name") = $2 OR upper("studies"."patient_name") LIKE $3)`,
      params: ['DOE^JOHN', 'DOE^JOHN=%'],
    });
    expect(where('PatientName=doe*')).toEqual({
      sql: `upper("studies"."patient_name") LIKE $2 ESCAPE '\\'`,
      params: ['DOE%'],
    });
    // A pattern anchored at its end must also match the first group of `A=I=P`.
    expect(where('PatientName=*john')).toEqual({
      sql: `(upper("studies"."patient_name") LIKE $2 ESCAPE '\\' OR upper("studies"."patient_name") LIKE $3 ESCAPE '\\')`,
      params: ['%JOHN', '%JOHN=%'],
    });
  });

  it('hostile values stay parameters: quotes and statements never reach the SQL text', () => {
    const { sql, params } = where("PatientName=';DROP TABLE studies;--&PatientID=x'or'1'='1");
    expect(sql).not.toContain('DROP');
    expect(sql).not.toContain("'1'");
    expect(params).toEqual(["';DROP TABLE STUDIES;--", "';DROP TABLE STUDIES;--=%", "x'or'1'='1"]);
  });

  it('UID lists: backslash or comma separated, one parameter each, OR-ed', () => {
    expect(where('StudyInstanceUID=1.2.3\\1.2.4,1.2.5')).toEqual({
      sql: '("studies"."study_instance_uid" = $2 OR "studies"."study_instance_uid" = $3 OR "studies"."study_instance_uid" = $4)',
      params: ['1.2.3', '1.2.4', '1.2.5'],
    });
  });

  it('date ranges: closed, open either side, and a single date', () => {
    expect(where('StudyDate=20200101-20201231')).toEqual({
      sql: '("studies"."study_date" >= $2 AND "studies"."study_date" <= $3)',
      params: ['20200101', '20201231'],
    });
    expect(where('StudyDate=-20201231').params).toEqual(['20201231']);
    expect(where('StudyDate=20200101-').sql).toBe('("studies"."study_date" >= $2)');
    expect(where('StudyDate=20200101')).toEqual({
      sql: '"studies"."study_date" = $2',
      params: ['20200101'],
    });
  });

  it('time ranges compare normalised HHMMSS.FFFFFF; a partial time covers its span', () => {
    const { sql, params } = where('StudyTime=10');
    expect(sql).toContain(`rpad(split_part("studies"."study_time", '.', 1), 6, '0')`);
    // Upper bounds pad with 9: every time within hour 10 sorts below 109999999999.
    expect(params).toEqual(['100000000000', '109999999999']);
  });

  it('combined date-time range when StudyDate and StudyTime are both ranges over days', () => {
    const { sql, params } = where('StudyDate=20200101-20200103&StudyTime=1000-1800');
    expect(sql).toContain(`("studies"."study_date" || (rpad(`);
    expect(params.slice(-2)).toEqual(['20200101100000000000', '20200103180099999999']);
  });

  it('ModalitiesInStudy: EXISTS over the study series; AND per value with multiplevaluematching', () => {
    expect(where('ModalitiesInStudy=CT\\MR').sql).toBe(
      'EXISTS (SELECT 1 FROM "series" AS ms WHERE ms.study_fk = "studies"."id" AND (ms.modality = $2 OR ms.modality = $3))',
    );
    const all = where('ModalitiesInStudy=CT\\MR&multiplevaluematching=true').sql;
    expect(all.match(/EXISTS/g)).toHaveLength(2);
    expect(all).toContain(') AND EXISTS');
  });

  it('fuzzy PN: each word must start a word of the folded name, in any order', () => {
    expect(where('PatientName=jürgen MULL*&fuzzymatching=true')).toEqual({
      sql: `("studies"."patient_name_fuzzy" LIKE $2 ESCAPE '\\' AND "studies"."patient_name_fuzzy" LIKE $3 ESCAPE '\\')`,
      params: ['% JURGEN%', '% MULL%'],
    });
  });

  it('attributes without a column are matched in the level DICOM JSON, tag as a parameter', () => {
    const { sql, params } = where('PatientAge=050Y');
    expect(sql).toBe(
      `EXISTS (SELECT 1 FROM jsonb_array_elements(coalesce(("studies"."attributes" -> $2::text -> 'Value'), '[]'::jsonb)) AS v0(e) WHERE (v0.e #>> '{}') = $3)`,
    );
    expect(params).toEqual(['00101010', '050Y']);
  });

  it('sequence matching: one item must match every sub-key', () => {
    const { sql, params } = where(
      'RequestAttributesSequence.ScheduledProcedureStepID=S1&00400275.00401001=R*',
      { level: 'series' },
    );
    expect(sql.match(/AS item\(e\)/g)).toHaveLength(1);
    expect(params).toEqual(['00400275', '00400009', 'S1', '00401001', 'R%']);
  });

  it('empty value matching: absent or zero-length', () => {
    expect(where('AccessionNumber=""&emptyvaluematching=true').sql).toBe(
      `("studies"."accession_number" IS NULL OR "studies"."accession_number"::text = '')`,
    );
  });

  it('scopes by the UIDs of the path', () => {
    const { sql, params } = where('', {
      level: 'instance',
      studyInstanceUid: '1.2',
      seriesInstanceUid: '1.2.3',
    });
    expect(sql).toBe('"studies"."study_instance_uid" = $2 AND "series"."series_instance_uid" = $3');
    expect(params).toEqual(['1.2', '1.2.3']);
  });
});

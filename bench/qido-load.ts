import type postgres from 'postgres';

/**
 * Bulk-loads a synthetic archive straight into the index (no blobs: QIDO never reads them) with
 * one INSERT … SELECT per table, so 100,000 instances take seconds. The spread is meant to be
 * realistic for a clinical archive's study list: 1,500 patients with repeat visits, 50 family
 * names × 40 given names (some accented), studies over ten years, eight primary modalities
 * plus an SR series per study, accession numbers and referring physicians.
 */
export interface LoadShape {
  studies: number;
  seriesPerStudy: number;
  instancesPerSeries: number;
}

export const UID_ROOT = '1.2.826.0.1.3680043.10.999';

const FAMILY = [
  'Smith',
  'Johnson',
  'Williams',
  'Brown',
  'Jones',
  'Garcia',
  'Miller',
  'Davis',
  'Rodriguez',
  'Martinez',
  'Hernandez',
  'Lopez',
  'Gonzalez',
  'Wilson',
  'Anderson',
  'Thomas',
  'Taylor',
  'Moore',
  'Jackson',
  'Martin',
  'Lee',
  'Perez',
  'Thompson',
  'White',
  'Harris',
  'Sanchez',
  'Clark',
  'Ramirez',
  'Lewis',
  'Robinson',
  'Walker',
  'Young',
  'Allen',
  'King',
  'Wright',
  'Scott',
  'Torres',
  'Nguyen',
  'Hill',
  'Flores',
  'Müller',
  'Schröder',
  'Lefèvre',
  'Núñez',
  'Østergaard',
  'Dvořák',
  'Kowalski',
  'Rossi',
  'Dubois',
  'Janssen',
];
const GIVEN = [
  'James',
  'Mary',
  'John',
  'Patricia',
  'Robert',
  'Jennifer',
  'Michael',
  'Linda',
  'William',
  'Elizabeth',
  'David',
  'Barbara',
  'Richard',
  'Susan',
  'Joseph',
  'Jessica',
  'Thomas',
  'Sarah',
  'Charles',
  'Karen',
  'José',
  'Zoë',
  'Renée',
  'Jürgen',
  'François',
  'Anaïs',
  'Søren',
  'Chloé',
  'Ana',
  'Luis',
  'Emma',
  'Noah',
  'Olivia',
  'Liam',
  'Ava',
  'Lucas',
  'Mia',
  'Ethan',
  'Amelia',
  'Hugo',
];
export const MODALITIES = ['CT', 'MR', 'CR', 'DX', 'US', 'PT', 'NM', 'XA'];

const fold = (s: string) =>
  s
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toUpperCase();

export async function loadArchive(sql: postgres.Sql, shape: LoadShape): Promise<void> {
  const family = FAMILY;
  const given = GIVEN;
  const patients = Math.ceil(shape.studies * 0.75);
  await sql`
    INSERT INTO patients (patient_id, patient_name, patient_birth_date, patient_sex)
    SELECT 'PID' || lpad(g::text, 6, '0'),
      (${family}::text[])[1 + g % 50] || '^' || (${given}::text[])[1 + (g * 7) % 40],
      to_char(date '1930-01-01' + (g * 97 % 30000), 'YYYYMMDD'),
      CASE WHEN g % 2 = 0 THEN 'F' ELSE 'M' END
    FROM generate_series(1, ${patients}) AS g`;
  const folded = { family: family.map(fold), given: given.map(fold) };
  await sql`
    INSERT INTO studies (study_instance_uid, patient_fk, study_date, study_time, accession_number,
      study_id, study_description, referring_physician_name, patient_name, patient_id,
      patient_birth_date, patient_sex, patient_name_fuzzy, referring_physician_name_fuzzy, attributes)
    SELECT ${UID_ROOT} || '.1.' || g, p.id, d.study_date, d.study_time, 'ACC' || lpad(g::text, 8, '0'),
      'S' || g, d.description, d.referrer, p.patient_name, p.patient_id, p.patient_birth_date,
      p.patient_sex,
      ' ' || (${folded.family}::text[])[1 + pg % 50] || ' ' || (${folded.given}::text[])[1 + (pg * 7) % 40] || ' ',
      ' ' || upper(split_part(d.referrer, '^', 1)) || ' ' || upper(split_part(d.referrer, '^', 2)) || ' ',
      jsonb_build_object(
        '00080020', jsonb_build_object('vr', 'DA', 'Value', jsonb_build_array(d.study_date)),
        '00080030', jsonb_build_object('vr', 'TM', 'Value', jsonb_build_array(d.study_time)),
        '00080050', jsonb_build_object('vr', 'SH', 'Value', jsonb_build_array('ACC' || lpad(g::text, 8, '0'))),
        '00080090', jsonb_build_object('vr', 'PN', 'Value', jsonb_build_array(jsonb_build_object('Alphabetic', d.referrer))),
        '00081030', jsonb_build_object('vr', 'LO', 'Value', jsonb_build_array(d.description)),
        '00100010', jsonb_build_object('vr', 'PN', 'Value', jsonb_build_array(jsonb_build_object('Alphabetic', p.patient_name))),
        '00100020', jsonb_build_object('vr', 'LO', 'Value', jsonb_build_array(p.patient_id)),
        '00100030', jsonb_build_object('vr', 'DA', 'Value', jsonb_build_array(p.patient_birth_date)),
        '00100040', jsonb_build_object('vr', 'CS', 'Value', jsonb_build_array(p.patient_sex)),
        '0020000D', jsonb_build_object('vr', 'UI', 'Value', jsonb_build_array(${UID_ROOT} || '.1.' || g)),
        '00200010', jsonb_build_object('vr', 'SH', 'Value', jsonb_build_array('S' || g)))
    FROM generate_series(1, ${shape.studies}) AS g
    CROSS JOIN LATERAL (SELECT 1 + (g * 7919) % ${patients} AS pg) AS pick
    JOIN patients p ON p.patient_id = 'PID' || lpad(pick.pg::text, 6, '0')
    CROSS JOIN LATERAL (SELECT
      to_char(date '2015-01-01' + (g * 37 % 3650), 'YYYYMMDD') AS study_date,
      lpad((7 + g % 12)::text, 2, '0') || lpad((g * 13 % 60)::text, 2, '0') || '00' AS study_time,
      (${MODALITIES}::text[])[1 + g % 8] || ' ' || (ARRAY['HEAD','CHEST','ABDOMEN','SPINE','KNEE'])[1 + g % 5] AS description,
      (${family}::text[])[1 + (g * 3) % 50] || '^' || (${given}::text[])[1 + (g * 11) % 40] AS referrer
    ) AS d`;
  await sql`
    INSERT INTO series (series_instance_uid, study_fk, modality, series_number, series_description,
      body_part_examined, attributes)
    SELECT ${UID_ROOT} || '.2.' || st.n || '.' || k, s.id, m.modality, k + 1, m.modality || ' series ' || (k + 1),
      'CHEST',
      jsonb_build_object(
        '00080060', jsonb_build_object('vr', 'CS', 'Value', jsonb_build_array(m.modality)),
        '0008103E', jsonb_build_object('vr', 'LO', 'Value', jsonb_build_array(m.modality || ' series ' || (k + 1))),
        '0020000E', jsonb_build_object('vr', 'UI', 'Value', jsonb_build_array(${UID_ROOT} || '.2.' || st.n || '.' || k)),
        '00200011', jsonb_build_object('vr', 'IS', 'Value', jsonb_build_array(k + 1)))
    FROM studies s
    -- n: the study's number in its UID, so the bench can name a study's series.
    CROSS JOIN LATERAL (SELECT substring(s.study_instance_uid from '[0-9]+$') AS n) AS st
    CROSS JOIN generate_series(0, ${shape.seriesPerStudy - 1}) AS k
    CROSS JOIN LATERAL (SELECT CASE WHEN k = ${shape.seriesPerStudy - 1} THEN 'SR'
      ELSE (${MODALITIES}::text[])[1 + s.id % 8] END AS modality) AS m`;
  await sql`
    INSERT INTO instances (sop_instance_uid, series_fk, study_fk, sop_class_uid, instance_number,
      transfer_syntax_uid, rows, columns, bits_allocated, blob_key, storage_tier, size, sha256,
      dataset_offset, bulk_data, metadata)
    SELECT ${UID_ROOT} || '.3.' || se.id || '.' || i, se.id, se.study_fk,
      CASE WHEN se.modality = 'SR' THEN '1.2.840.10008.5.1.4.1.1.88.33' ELSE '1.2.840.10008.5.1.4.1.1.2' END,
      i + 1, '1.2.840.10008.1.2.1', 512, 512, 16, 'bench/' || se.id || '/' || i, 'fs', 524288,
      md5(se.id || '.' || i), 352, '[]'::jsonb,
      jsonb_build_object(
        '00080016', jsonb_build_object('vr', 'UI', 'Value', jsonb_build_array('1.2.840.10008.5.1.4.1.1.2')),
        '00080018', jsonb_build_object('vr', 'UI', 'Value', jsonb_build_array(${UID_ROOT} || '.3.' || se.id || '.' || i)),
        '00200013', jsonb_build_object('vr', 'IS', 'Value', jsonb_build_array(i + 1)),
        '00280004', jsonb_build_object('vr', 'CS', 'Value', jsonb_build_array('MONOCHROME2')),
        '00280010', jsonb_build_object('vr', 'US', 'Value', jsonb_build_array(512)),
        '00280011', jsonb_build_object('vr', 'US', 'Value', jsonb_build_array(512)))
    FROM series se CROSS JOIN generate_series(0, ${shape.instancesPerSeries - 1}) AS i`;
  // What autovacuum does to freshly inserted tables in a running archive (PostgreSQL 13+ vacuums
  // after inserts too): statistics, and the visibility map that lets the per-study counts of
  // QIDO results be index-only scans.
  await sql`VACUUM ANALYZE`;
}

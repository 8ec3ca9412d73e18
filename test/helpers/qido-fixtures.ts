import { makeInstance, newUid, type Elements, type GeneratedInstance } from './make-dicom.js';

/**
 * A small archive for QIDO tests: three studies whose attributes exercise each matching rule
 * (literal `%` and `_`, accents, apostrophes, date/time ranges, several modalities, a request
 * attributes sequence). Tests store `instances` with STOW and query over HTTP.
 */

/** An Explicit VR LE sequence value with one item of short-form text elements. */
export function sequenceOf(elements: Record<string, { vr: string; value: string }>): Uint8Array {
  const body = Buffer.concat(
    Object.keys(elements)
      .sort()
      .map((tag) => {
        const { vr, value } = elements[tag]!;
        let data = Buffer.from(value, 'latin1');
        if (data.length % 2 === 1) data = Buffer.concat([data, Buffer.from(' ')]);
        const header = Buffer.alloc(8);
        header.writeUInt16LE(parseInt(tag.slice(0, 4), 16), 0);
        header.writeUInt16LE(parseInt(tag.slice(4), 16), 2);
        header.write(vr, 4, 'latin1');
        header.writeUInt16LE(data.length, 6);
        return Buffer.concat([header, data]);
      }),
  );
  const item = Buffer.alloc(8);
  item.writeUInt16LE(0xfffe, 0);
  item.writeUInt16LE(0xe000, 2);
  item.writeUInt32LE(body.length, 4);
  return Buffer.concat([item, body]);
}

/** PS3.4 B.5: Positron Emission Tomography Image Storage. */
export const PET_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.128';

/** The SOP Instance UID in the ReferencedStudySequence item of study A's MR instance. */
export const REFERENCED_STUDY = '1.2.826.0.1.3680043.10.1.77';

export interface Fixture {
  studyA: string;
  studyB: string;
  studyC: string;
  seriesA1: string;
  seriesA2: string;
  seriesB1: string;
  seriesC1: string;
  instances: GeneratedInstance[];
}

export function qidoFixture(): Fixture {
  const f = {
    studyA: newUid(),
    studyB: newUid(),
    studyC: newUid(),
    seriesA1: newUid(),
    seriesA2: newUid(),
    seriesB1: newUid(),
    seriesC1: newUid(),
  };
  const studyAElements: Elements = {
    '00080020': { vr: 'DA', value: '20200105' },
    '00080030': { vr: 'TM', value: '101500' },
    '00080050': { vr: 'SH', value: 'ACC%1' },
    '00080090': { vr: 'PN', value: 'Smith^Anna' },
    '00081030': { vr: 'LO', value: 'Chest CT' },
    '00100030': { vr: 'DA', value: '19700101' },
    '00100040': { vr: 'CS', value: 'M' },
    '00101010': { vr: 'AS', value: '050Y' },
    '00200010': { vr: 'SH', value: 'S1' },
  };
  const a = (series: string, modality: string, n: number, extra: Elements = {}) =>
    makeInstance({
      studyInstanceUid: f.studyA,
      seriesInstanceUid: series,
      patientId: 'PID-A',
      patientName: 'Doe^John',
      modality,
      elements: {
        ...studyAElements,
        '00200011': { vr: 'IS', value: series === f.seriesA1 ? '1' : '2' },
        '00200013': { vr: 'IS', value: String(n) },
        ...extra,
      },
    });
  // Series A1 carries the series-level keys of Table 10.6.1-5 and the common extras; its two
  // instances differ in ImageType (multi-valued) and AcquisitionDateTime (DT).
  const seriesA1: Elements = {
    '0008103E': { vr: 'LO', value: 'Axial 5mm' },
    '00180015': { vr: 'CS', value: 'CHEST' },
    '00080080': { vr: 'LO', value: 'General Hospital' },
    '00400244': { vr: 'DA', value: '20200105' },
    '00400245': { vr: 'TM', value: '101000' },
  };
  const instances = [
    a(f.seriesA1, 'CT', 2, {
      ...seriesA1,
      '00080008': { vr: 'CS', value: 'DERIVED\\SECONDARY' },
      '0008002A': { vr: 'DT', value: '20200105103000' },
      '00400275': {
        vr: 'SQ',
        value: sequenceOf({
          '00400009': { vr: 'SH', value: 'SPS1' },
          '00401001': { vr: 'SH', value: 'RP1' },
        }),
      },
    }),
    a(f.seriesA1, 'CT', 1, {
      ...seriesA1,
      '00080008': { vr: 'CS', value: 'ORIGINAL\\PRIMARY\\AXIAL' },
      '0008002A': { vr: 'DT', value: '20200105101200.5' },
      '00400275': {
        vr: 'SQ',
        value: sequenceOf({
          '00400009': { vr: 'SH', value: 'SPS1' },
          '00401001': { vr: 'SH', value: 'RP1' },
        }),
      },
    }),
    a(f.seriesA2, 'MR', 1, {
      // An instance-level sequence: the study this MR refers to.
      '00081110': {
        vr: 'SQ',
        value: sequenceOf({
          '00081150': { vr: 'UI', value: '1.2.840.10008.3.1.2.3.1' },
          '00081155': { vr: 'UI', value: REFERENCED_STUDY },
        }),
      },
      '0008103E': { vr: 'LO', value: 'T2 sag' },
      '00180015': { vr: 'CS', value: 'HEAD' },
      '00080080': { vr: 'LO', value: 'Clinic_B' },
    }),
    makeInstance({
      studyInstanceUid: f.studyB,
      seriesInstanceUid: f.seriesB1,
      patientId: 'PID-B',
      // ISO_IR 100: 'Müller^Jürgen' in Latin-1.
      patientName: 'M\u00fcller^J\u00fcrgen',
      modality: 'MR',
      elements: {
        '00080005': { vr: 'CS', value: 'ISO_IR 100' },
        '00080020': { vr: 'DA', value: '20210310' },
        '00080030': { vr: 'TM', value: '0830' },
        '00080050': { vr: 'SH', value: 'ACCX1' },
        '00200011': { vr: 'IS', value: '1' },
      },
    }),
    makeInstance({
      studyInstanceUid: f.studyC,
      seriesInstanceUid: f.seriesC1,
      patientId: 'PID_C',
      patientName: "O'Brien^Pat",
      modality: 'PT',
      sopClassUid: PET_IMAGE_STORAGE,
      elements: {
        '00080020': { vr: 'DA', value: '20220101' },
        // Alphabetic and phonetic groups: a name matches on its first group.
        '00080090': { vr: 'PN', value: 'Yamada^Taro==Yamada^Tarou' },
        '00100040': { vr: 'CS', value: 'F' },
        '00200011': { vr: 'IS', value: '7' },
      },
    }),
  ];
  return { ...f, instances };
}

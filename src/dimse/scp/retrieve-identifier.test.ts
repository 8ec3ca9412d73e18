import { describe, expect, it } from 'vitest';
import {
  PATIENT_ROOT_MOVE,
  retrieveKeys,
  STUDY_ROOT_GET,
  STUDY_ROOT_MOVE,
} from './retrieve-identifier.js';

describe('#15 C-MOVE / C-GET identifier → index keys', () => {
  it('STUDY level takes a UID list (backslash or array)', () => {
    expect(
      retrieveKeys(STUDY_ROOT_MOVE, { QueryRetrieveLevel: 'STUDY', StudyInstanceUID: '1.2\\1.3' }),
    ).toEqual({ studies: ['1.2', '1.3'] });
    expect(
      retrieveKeys(STUDY_ROOT_GET, {
        QueryRetrieveLevel: 'STUDY',
        StudyInstanceUID: ['1.2', '1.4'],
      }),
    ).toEqual({ studies: ['1.2', '1.4'] });
  });

  it('PATIENT level only in the Patient Root model, and only with PatientID', () => {
    expect(
      retrieveKeys(PATIENT_ROOT_MOVE, { QueryRetrieveLevel: 'PATIENT', PatientID: 'P1' }),
    ).toEqual({
      patientId: 'P1',
    });
    expect(
      retrieveKeys(STUDY_ROOT_MOVE, { QueryRetrieveLevel: 'PATIENT', PatientID: 'P1' }),
    ).toMatch(/Study Root/);
    expect(retrieveKeys(PATIENT_ROOT_MOVE, { QueryRetrieveLevel: 'PATIENT' })).toMatch(/PatientID/);
  });

  it('SERIES and IMAGE levels need the unique keys above them', () => {
    expect(
      retrieveKeys(STUDY_ROOT_MOVE, {
        QueryRetrieveLevel: 'IMAGE',
        StudyInstanceUID: '1.2',
        SeriesInstanceUID: '1.2.3',
        SOPInstanceUID: ['1.2.3.4', '1.2.3.5'],
      }),
    ).toEqual({ studies: ['1.2'], series: ['1.2.3'], instances: ['1.2.3.4', '1.2.3.5'] });
    expect(
      retrieveKeys(STUDY_ROOT_MOVE, { QueryRetrieveLevel: 'SERIES', SeriesInstanceUID: '1.2.3' }),
    ).toMatch(/SERIES level/);
    expect(retrieveKeys(STUDY_ROOT_MOVE, { StudyInstanceUID: '1.2' })).toMatch(
      /QueryRetrieveLevel/,
    );
  });
});

import { describe, expect, it } from 'vitest';
import { findQuery, IdentifierError, MODEL_LEVELS } from './find-query.js';

describe('findQuery', () => {
  it('turns match keys into QIDO parameters and empty keys into return keys', () => {
    const q = findQuery(
      {
        QueryRetrieveLevel: 'STUDY',
        SpecificCharacterSet: 'ISO_IR 100',
        PatientName: [{ Alphabetic: 'doe^j*' }],
        StudyDate: '20200101-20201231 ',
        StudyInstanceUID: ['1.2.3', '1.2.4'],
        ModalitiesInStudy: '',
        PatientID: '',
        NumberOfStudyRelatedInstances: '',
      },
      MODEL_LEVELS.studyRoot,
    );
    expect(q.resource).toBe('study');
    expect(q.params).toEqual([
      ['PatientName', 'doe^j*'],
      ['StudyDate', '20200101-20201231'],
      ['StudyInstanceUID', '1.2.3\\1.2.4'],
      ['includefield', 'ModalitiesInStudy'],
      ['includefield', 'PatientID'],
      ['includefield', 'NumberOfStudyRelatedInstances'],
    ]);
    expect(q.keys).toEqual([
      'PatientName',
      'StudyDate',
      'StudyInstanceUID',
      'ModalitiesInStudy',
      'PatientID',
      'NumberOfStudyRelatedInstances',
    ]);
  });

  it('maps levels and refuses one the model lacks', () => {
    expect(findQuery({ QueryRetrieveLevel: 'IMAGE' }, MODEL_LEVELS.studyRoot).resource).toBe(
      'instance',
    );
    expect(findQuery({ QueryRetrieveLevel: 'PATIENT' }, MODEL_LEVELS.patientRoot).resource).toBe(
      'study',
    );
    expect(() => findQuery({ QueryRetrieveLevel: 'PATIENT' }, MODEL_LEVELS.studyRoot)).toThrow(
      IdentifierError,
    );
    expect(() => findQuery({}, MODEL_LEVELS.studyRoot)).toThrow(IdentifierError);
  });
});

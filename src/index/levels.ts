/**
 * Which attributes belong to the study and series levels, kept on the study/series rows so
 * QIDO can return them without touching instances. Drawn from the Patient, General Study,
 * Patient Study, General Series and General Equipment modules (PS3.3 C.7) and the QIDO-RS
 * return attributes (PS3.18 Tables 10.6.3-3 and 10.6.3-4).
 */
/**
 * The Patient module (PS3.3 C.7.1.1) part of STUDY_LEVEL_TAGS: who the study belongs to. A study
 * keeps these from the instance that created it (index/instances.repository.ts says why).
 */
export const PATIENT_LEVEL_TAGS: readonly string[] = [
  '00100010', // PatientName
  '00100020', // PatientID
  '00100021', // IssuerOfPatientID
  '00100030', // PatientBirthDate
  '00100032', // PatientBirthTime
  '00100040', // PatientSex
  '00101000', // OtherPatientIDs (retired, still common)
  '00101001', // OtherPatientNames
  '00101002', // OtherPatientIDsSequence
  '00102160', // EthnicGroup
  '00104000', // PatientComments
];

export const STUDY_LEVEL_TAGS: ReadonlySet<string> = new Set([
  ...PATIENT_LEVEL_TAGS,
  '00080005', // SpecificCharacterSet
  '00080020', // StudyDate
  '00080030', // StudyTime
  '00080050', // AccessionNumber
  '00080051', // IssuerOfAccessionNumberSequence
  '00080090', // ReferringPhysicianName
  '00080201', // TimezoneOffsetFromUTC
  '00081030', // StudyDescription
  '00081032', // ProcedureCodeSequence
  '00081060', // NameOfPhysiciansReadingStudy
  '00101010', // PatientAge (Patient Study module, C.7.2.2: may change between studies)
  '00101020', // PatientSize
  '00101030', // PatientWeight
  '0020000D', // StudyInstanceUID
  '00200010', // StudyID
  '00321032', // RequestingPhysician
  '00321060', // RequestedProcedureDescription
]);

export const SERIES_LEVEL_TAGS: ReadonlySet<string> = new Set([
  '00080021', // SeriesDate
  '00080031', // SeriesTime
  '00080060', // Modality
  '00080070', // Manufacturer
  '00080080', // InstitutionName
  '00081010', // StationName
  '0008103E', // SeriesDescription
  '00081040', // InstitutionalDepartmentName
  '00081050', // PerformingPhysicianName
  '00081090', // ManufacturerModelName
  '00180015', // BodyPartExamined
  '00181030', // ProtocolName
  '0020000E', // SeriesInstanceUID
  '00200011', // SeriesNumber
  '00200060', // Laterality
  '00400244', // PerformedProcedureStepStartDate
  '00400245', // PerformedProcedureStepStartTime
  '00400253', // PerformedProcedureStepID
  '00400254', // PerformedProcedureStepDescription
  '00400275', // RequestAttributesSequence
]);

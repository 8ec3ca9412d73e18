/**
 * PS3.15 Table E.1-1 "Application Level Confidentiality Profile Attributes", the Basic Profile
 * column and the Retain Longitudinal Temporal Information with Full Dates Option column, as
 * data (transcribed from the 2020 edition of PS3.15; the comment after each row is the PS3.6
 * keyword). Action codes (PS3.15 E.1.1):
 *
 * - D replace with a non-zero length dummy value consistent with the VR
 * - Z replace with a zero length value (or a dummy)
 * - X remove
 * - K keep (sequences: the profile applies to their items)
 * - U replace with a UID that is internally consistent within the set of instances
 * - X/Z, X/D, X/Z/D, Z/D, X/Z/U*: X unless Z, D or U is required for IOD conformance
 *
 * The third field is true when the Full Dates Option keeps the attribute (K). Tags with `X` are
 * repeating groups (50xx curves, 60xx overlays).
 */
export type ProfileAction =
  'D' | 'Z' | 'X' | 'K' | 'U' | 'X/Z' | 'X/D' | 'X/Z/D' | 'Z/D' | 'X/Z/U*';

export type ProfileRow = readonly [tag: string, basic: ProfileAction, keptWithFullDates?: true];

export const BASIC_PROFILE: readonly ProfileRow[] = [
  ['00001000', 'X'], // AffectedSOPInstanceUID
  ['00001001', 'U'], // RequestedSOPInstanceUID
  ['00020003', 'U'], // MediaStorageSOPInstanceUID
  ['00041511', 'U'], // ReferencedSOPInstanceUIDInFile
  ['00080014', 'U'], // InstanceCreatorUID
  ['00080015', 'X', true], // InstanceCoercionDateTime
  ['00080018', 'U'], // SOPInstanceUID
  ['00080020', 'Z', true], // StudyDate
  ['00080021', 'X/D', true], // SeriesDate
  ['00080022', 'X/Z', true], // AcquisitionDate
  ['00080023', 'Z/D', true], // ContentDate
  ['00080024', 'X', true], // RETIRED_OverlayDate
  ['00080025', 'X', true], // RETIRED_CurveDate
  ['0008002A', 'X/Z/D', true], // AcquisitionDateTime
  ['00080030', 'Z', true], // StudyTime
  ['00080031', 'X/D', true], // SeriesTime
  ['00080032', 'X/Z', true], // AcquisitionTime
  ['00080033', 'Z/D', true], // ContentTime
  ['00080034', 'X', true], // RETIRED_OverlayTime
  ['00080035', 'X', true], // RETIRED_CurveTime
  ['00080050', 'Z'], // AccessionNumber
  ['00080058', 'U'], // FailedSOPInstanceUIDList
  ['00080080', 'X/Z/D'], // InstitutionName
  ['00080081', 'X'], // InstitutionAddress
  ['00080082', 'X/Z/D'], // InstitutionCodeSequence
  ['00080090', 'Z'], // ReferringPhysicianName
  ['00080092', 'X'], // ReferringPhysicianAddress
  ['00080094', 'X'], // ReferringPhysicianTelephoneNumbers
  ['00080096', 'X'], // ReferringPhysicianIdentificationSequence
  ['0008009C', 'Z'], // ConsultingPhysicianName
  ['0008009D', 'X'], // ConsultingPhysicianIdentificationSequence
  ['00080201', 'X', true], // TimezoneOffsetFromUTC
  ['00081010', 'X/Z/D'], // StationName
  ['00081030', 'X'], // StudyDescription
  ['0008103E', 'X'], // SeriesDescription
  ['00081040', 'X'], // InstitutionalDepartmentName
  ['00081041', 'X'], // InstitutionalDepartmentTypeCodeSequence
  ['00081048', 'X'], // PhysiciansOfRecord
  ['00081049', 'X'], // PhysiciansOfRecordIdentificationSequence
  ['00081050', 'X'], // PerformingPhysicianName
  ['00081052', 'X'], // PerformingPhysicianIdentificationSequence
  ['00081060', 'X'], // NameOfPhysiciansReadingStudy
  ['00081062', 'X'], // PhysiciansReadingStudyIdentificationSequence
  ['00081070', 'X/Z/D'], // OperatorsName
  ['00081072', 'X/D'], // OperatorIdentificationSequence
  ['00081080', 'X'], // AdmittingDiagnosesDescription
  ['00081084', 'X'], // AdmittingDiagnosesCodeSequence
  ['00081110', 'X/Z'], // ReferencedStudySequence
  ['00081111', 'X/Z/D'], // ReferencedPerformedProcedureStepSequence
  ['00081120', 'X'], // ReferencedPatientSequence
  ['00081140', 'X/Z/U*'], // ReferencedImageSequence
  ['00081155', 'U'], // ReferencedSOPInstanceUID
  ['00081195', 'U'], // TransactionUID
  ['00082111', 'X'], // DerivationDescription
  ['00082112', 'X/Z/U*'], // SourceImageSequence
  ['00083010', 'U'], // IrradiationEventUID
  ['00084000', 'X'], // RETIRED_IdentifyingComments
  ['00100010', 'Z'], // PatientName
  ['00100020', 'Z'], // PatientID
  ['00100021', 'X'], // IssuerOfPatientID
  ['00100030', 'Z'], // PatientBirthDate
  ['00100032', 'X'], // PatientBirthTime
  ['00100040', 'Z'], // PatientSex
  ['00100050', 'X'], // PatientInsurancePlanCodeSequence
  ['00100101', 'X'], // PatientPrimaryLanguageCodeSequence
  ['00100102', 'X'], // PatientPrimaryLanguageModifierCodeSequence
  ['00101000', 'X'], // OtherPatientIDs
  ['00101001', 'X'], // OtherPatientNames
  ['00101002', 'X'], // OtherPatientIDsSequence
  ['00101005', 'X'], // PatientBirthName
  ['00101010', 'X'], // PatientAge
  ['00101020', 'X'], // PatientSize
  ['00101030', 'X'], // PatientWeight
  ['00101040', 'X'], // PatientAddress
  ['00101050', 'X'], // RETIRED_InsurancePlanIdentification
  ['00101060', 'X'], // PatientMotherBirthName
  ['00101080', 'X'], // MilitaryRank
  ['00101081', 'X'], // BranchOfService
  ['00101090', 'X'], // MedicalRecordLocator
  ['00101100', 'X'], // ReferencedPatientPhotoSequence
  ['00102000', 'X'], // MedicalAlerts
  ['00102110', 'X'], // Allergies
  ['00102150', 'X'], // CountryOfResidence
  ['00102152', 'X'], // RegionOfResidence
  ['00102154', 'X'], // PatientTelephoneNumbers
  ['00102155', 'X'], // PatientTelecomInformation
  ['00102160', 'X'], // EthnicGroup
  ['00102180', 'X'], // Occupation
  ['001021A0', 'X'], // SmokingStatus
  ['001021B0', 'X'], // AdditionalPatientHistory
  ['001021C0', 'X'], // PregnancyStatus
  ['001021D0', 'X', true], // LastMenstrualDate
  ['001021F0', 'X'], // PatientReligiousPreference
  ['00102203', 'X/Z'], // PatientSexNeutered
  ['00102297', 'X'], // ResponsiblePerson
  ['00102299', 'X'], // ResponsibleOrganization
  ['00104000', 'X'], // PatientComments
  ['00120010', 'D'], // ClinicalTrialSponsorName
  ['00120020', 'D'], // ClinicalTrialProtocolID
  ['00120021', 'Z'], // ClinicalTrialProtocolName
  ['00120030', 'Z'], // ClinicalTrialSiteID
  ['00120031', 'Z'], // ClinicalTrialSiteName
  ['00120040', 'D'], // ClinicalTrialSubjectID
  ['00120042', 'D'], // ClinicalTrialSubjectReadingID
  ['00120050', 'Z'], // ClinicalTrialTimePointID
  ['00120051', 'X'], // ClinicalTrialTimePointDescription
  ['00120060', 'Z'], // ClinicalTrialCoordinatingCenterName
  ['00120071', 'X'], // ClinicalTrialSeriesID
  ['00120072', 'X'], // ClinicalTrialSeriesDescription
  ['00120081', 'D'], // ClinicalTrialProtocolEthicsCommitteeName
  ['00120082', 'X'], // ClinicalTrialProtocolEthicsCommitteeApprovalNumber
  ['0016002B', 'X'], // MakerNote
  ['0016004B', 'X'], // DeviceSettingDescription
  ['0016004D', 'X'], // CameraOwnerName
  ['0016004E', 'X'], // LensSpecification
  ['0016004F', 'X'], // LensMake
  ['00160050', 'X'], // LensModel
  ['00160051', 'X'], // LensSerialNumber
  ['00160070', 'X'], // GPSVersionID
  ['00160071', 'X'], // GPSLatitudeRef
  ['00160072', 'X'], // GPSLatitude
  ['00160073', 'X'], // GPSLongitudeRef
  ['00160074', 'X'], // GPSLongitude
  ['00160075', 'X'], // GPSAltitudeRef
  ['00160076', 'X'], // GPSAltitude
  ['00160077', 'X'], // GPSTimeStamp
  ['00160078', 'X'], // GPSSatellites
  ['00160079', 'X'], // GPSStatus
  ['0016007A', 'X'], // GPSMeasureMode
  ['0016007B', 'X'], // GPSDOP
  ['0016007C', 'X'], // GPSSpeedRef
  ['0016007D', 'X'], // GPSSpeed
  ['0016007E', 'X'], // GPSTrackRef
  ['0016007F', 'X'], // GPSTrack
  ['00160080', 'X'], // GPSImgDirectionRef
  ['00160081', 'X'], // GPSImgDirection
  ['00160082', 'X'], // GPSMapDatum
  ['00160083', 'X'], // GPSDestLatitudeRef
  ['00160084', 'X'], // GPSDestLatitude
  ['00160085', 'X'], // GPSDestLongitudeRef
  ['00160086', 'X'], // GPSDestLongitude
  ['00160087', 'X'], // GPSDestBearingRef
  ['00160088', 'X'], // GPSDestBearing
  ['00160089', 'X'], // GPSDestDistanceRef
  ['0016008A', 'X'], // GPSDestDistance
  ['0016008B', 'X'], // GPSProcessingMethod
  ['0016008C', 'X'], // GPSAreaInformation
  ['0016008D', 'X', true], // GPSDateStamp
  ['0016008E', 'X'], // GPSDifferential
  ['00180010', 'Z/D'], // ContrastBolusAgent
  ['00181000', 'X/Z/D'], // DeviceSerialNumber
  ['00181002', 'U'], // DeviceUID
  ['00181004', 'X'], // PlateID
  ['00181005', 'X'], // GeneratorID
  ['00181007', 'X'], // CassetteID
  ['00181008', 'X'], // GantryID
  ['00181009', 'X'], // UniqueDeviceIdentifier
  ['0018100A', 'X'], // UDISequence
  ['0018100B', 'U'], // ManufacturerDeviceClassUID
  ['00181030', 'X/D'], // ProtocolName
  ['00181400', 'X/D'], // AcquisitionDeviceProcessingDescription
  ['00182042', 'U'], // TargetUID
  ['00184000', 'X'], // RETIRED_AcquisitionComments
  ['0018700A', 'X/D'], // DetectorID
  ['00189185', 'X'], // RespiratoryMotionCompensationTechniqueDescription
  ['00189367', 'D'], // XRaySourceID
  ['00189369', 'D', true], // SourceStartDateTime
  ['0018936A', 'D', true], // SourceEndDateTime
  ['00189371', 'D'], // XRayDetectorID
  ['00189373', 'X'], // XRayDetectorLabel
  ['0018937B', 'X'], // MultienergyAcquisitionDescription
  ['0018937F', 'X'], // DecompositionDescription
  ['00189424', 'X'], // AcquisitionProtocolDescription
  ['00189516', 'X/D', true], // StartAcquisitionDateTime
  ['00189517', 'X/D', true], // EndAcquisitionDateTime
  ['0018A003', 'X'], // ContributionDescription
  ['0020000D', 'U'], // StudyInstanceUID
  ['0020000E', 'U'], // SeriesInstanceUID
  ['00200010', 'Z'], // StudyID
  ['00200052', 'U'], // FrameOfReferenceUID
  ['00200200', 'U'], // SynchronizationFrameOfReferenceUID
  ['00203401', 'X'], // RETIRED_ModifyingDeviceID
  ['00203406', 'X'], // RETIRED_ModifiedImageDescription
  ['00204000', 'X'], // ImageComments
  ['00209158', 'X'], // FrameComments
  ['00209161', 'U'], // ConcatenationUID
  ['00209164', 'U'], // DimensionOrganizationUID
  ['00281199', 'U'], // PaletteColorLookupTableUID
  ['00281214', 'U'], // RETIRED_LargePaletteColorLookupTableUID
  ['00284000', 'X'], // RETIRED_ImagePresentationComments
  ['00320012', 'X'], // RETIRED_StudyIDIssuer
  ['00321020', 'X'], // RETIRED_ScheduledStudyLocation
  ['00321021', 'X'], // RETIRED_ScheduledStudyLocationAETitle
  ['00321030', 'X'], // RETIRED_ReasonForStudy
  ['00321032', 'X'], // RequestingPhysician
  ['00321033', 'X'], // RequestingService
  ['00321060', 'X/Z'], // RequestedProcedureDescription
  ['00321066', 'X'], // ReasonForVisit
  ['00321067', 'X'], // ReasonForVisitCodeSequence
  ['00321070', 'X'], // RequestedContrastAgent
  ['00324000', 'X'], // RETIRED_StudyComments
  ['00340001', 'D'], // FlowIdentifierSequence
  ['00340002', 'D'], // FlowIdentifier
  ['00340005', 'D'], // SourceIdentifier
  ['00340007', 'D', true], // FrameOriginTimestamp
  ['00380004', 'X'], // ReferencedPatientAliasSequence
  ['00380010', 'X'], // AdmissionID
  ['00380011', 'X'], // RETIRED_IssuerOfAdmissionID
  ['00380014', 'X'], // IssuerOfAdmissionIDSequence
  ['0038001E', 'X'], // RETIRED_ScheduledPatientInstitutionResidence
  ['00380020', 'X', true], // AdmittingDate
  ['00380021', 'X', true], // AdmittingTime
  ['00380040', 'X'], // RETIRED_DischargeDiagnosisDescription
  ['00380050', 'X'], // SpecialNeeds
  ['00380060', 'X'], // ServiceEpisodeID
  ['00380061', 'X'], // RETIRED_IssuerOfServiceEpisodeID
  ['00380062', 'X'], // ServiceEpisodeDescription
  ['00380064', 'X'], // IssuerOfServiceEpisodeIDSequence
  ['00380300', 'X'], // CurrentPatientLocation
  ['00380400', 'X'], // PatientInstitutionResidence
  ['00380500', 'X'], // PatientState
  ['00384000', 'X'], // VisitComments
  ['003A0310', 'U'], // MultiplexGroupUID
  ['003A0314', 'D', true], // ImpedanceMeasurementDateTime
  ['00400001', 'X'], // ScheduledStationAETitle
  ['00400002', 'X', true], // ScheduledProcedureStepStartDate
  ['00400003', 'X', true], // ScheduledProcedureStepStartTime
  ['00400004', 'X', true], // ScheduledProcedureStepEndDate
  ['00400005', 'X', true], // ScheduledProcedureStepEndTime
  ['00400006', 'X'], // ScheduledPerformingPhysicianName
  ['00400007', 'X'], // ScheduledProcedureStepDescription
  ['0040000B', 'X'], // ScheduledPerformingPhysicianIdentificationSequence
  ['00400010', 'X'], // ScheduledStationName
  ['00400011', 'X'], // ScheduledProcedureStepLocation
  ['00400012', 'X'], // PreMedication
  ['00400241', 'X'], // PerformedStationAETitle
  ['00400242', 'X'], // PerformedStationName
  ['00400243', 'X'], // PerformedLocation
  ['00400244', 'X', true], // PerformedProcedureStepStartDate
  ['00400245', 'X', true], // PerformedProcedureStepStartTime
  ['00400250', 'X', true], // PerformedProcedureStepEndDate
  ['00400251', 'X', true], // PerformedProcedureStepEndTime
  ['00400253', 'X'], // PerformedProcedureStepID
  ['00400254', 'X'], // PerformedProcedureStepDescription
  ['00400275', 'X'], // RequestAttributesSequence
  ['00400280', 'X'], // CommentsOnThePerformedProcedureStep
  ['0040050A', 'X'], // RETIRED_SpecimenAccessionNumber
  ['00400512', 'D'], // ContainerIdentifier
  ['00400513', 'Z'], // IssuerOfTheContainerIdentifierSequence
  ['0040051A', 'X'], // ContainerDescription
  ['00400551', 'D'], // SpecimenIdentifier
  ['00400554', 'U'], // SpecimenUID
  ['00400555', 'X/Z'], // AcquisitionContextSequence
  ['00400562', 'Z'], // IssuerOfTheSpecimenIdentifierSequence
  ['00400600', 'X'], // SpecimenShortDescription
  ['00400602', 'X'], // SpecimenDetailedDescription
  ['00400610', 'Z'], // SpecimenPreparationSequence
  ['004006FA', 'X'], // RETIRED_SlideIdentifier
  ['00401001', 'X'], // RequestedProcedureID
  ['00401002', 'X'], // ReasonForTheRequestedProcedure
  ['00401004', 'X'], // PatientTransportArrangements
  ['00401005', 'X'], // RequestedProcedureLocation
  ['0040100A', 'X'], // ReasonForRequestedProcedureCodeSequence
  ['00401010', 'X'], // NamesOfIntendedRecipientsOfResults
  ['00401011', 'X'], // IntendedRecipientsOfResultsIdentificationSequence
  ['00401101', 'D'], // PersonIdentificationCodeSequence
  ['00401102', 'X'], // PersonAddress
  ['00401103', 'X'], // PersonTelephoneNumbers
  ['00401104', 'X'], // PersonTelecomInformation
  ['00401400', 'X'], // RequestedProcedureComments
  ['00402001', 'X'], // RETIRED_ReasonForTheImagingServiceRequest
  ['00402008', 'X'], // OrderEnteredBy
  ['00402009', 'X'], // OrderEntererLocation
  ['00402010', 'X'], // OrderCallbackPhoneNumber
  ['00402011', 'X'], // OrderCallbackTelecomInformation
  ['00402016', 'Z'], // PlacerOrderNumberImagingServiceRequest
  ['00402017', 'Z'], // FillerOrderNumberImagingServiceRequest
  ['00402400', 'X'], // ImagingServiceRequestComments
  ['00403001', 'X'], // ConfidentialityConstraintOnPatientDataDescription
  ['00404005', 'X', true], // ScheduledProcedureStepStartDateTime
  ['00404008', 'X', true], // ScheduledProcedureStepExpirationDateTime
  ['00404010', 'X', true], // ScheduledProcedureStepModificationDateTime
  ['00404011', 'X', true], // ExpectedCompletionDateTime
  ['00404023', 'U'], // RETIRED_ReferencedGeneralPurposeScheduledProcedureStepTransactionUID
  ['00404025', 'X'], // ScheduledStationNameCodeSequence
  ['00404027', 'X'], // ScheduledStationGeographicLocationCodeSequence
  ['00404028', 'X'], // PerformedStationNameCodeSequence
  ['00404030', 'X'], // PerformedStationGeographicLocationCodeSequence
  ['00404034', 'X'], // ScheduledHumanPerformersSequence
  ['00404035', 'X'], // ActualHumanPerformersSequence
  ['00404036', 'X'], // HumanPerformerOrganization
  ['00404037', 'X'], // HumanPerformerName
  ['00404050', 'X', true], // PerformedProcedureStepStartDateTime
  ['00404051', 'X', true], // PerformedProcedureStepEndDateTime
  ['00404052', 'X', true], // ProcedureStepCancellationDateTime
  ['0040A027', 'D'], // VerifyingOrganization
  ['0040A073', 'D'], // VerifyingObserverSequence
  ['0040A075', 'D'], // VerifyingObserverName
  ['0040A078', 'X'], // AuthorObserverSequence
  ['0040A07A', 'X'], // ParticipantSequence
  ['0040A07C', 'X'], // CustodialOrganizationSequence
  ['0040A088', 'Z'], // VerifyingObserverIdentificationCodeSequence
  ['0040A123', 'D'], // PersonName
  ['0040A124', 'U'], // UID
  ['0040A171', 'U'], // ObservationUID
  ['0040A172', 'U'], // RETIRED_ReferencedObservationUIDTrial
  ['0040A192', 'X', true], // RETIRED_ObservationDateTrial
  ['0040A193', 'X', true], // RETIRED_ObservationTimeTrial
  ['0040A307', 'X'], // RETIRED_CurrentObserverTrial
  ['0040A352', 'X'], // RETIRED_VerbalSourceTrial
  ['0040A353', 'X'], // RETIRED_AddressTrial
  ['0040A354', 'X'], // RETIRED_TelephoneNumberTrial
  ['0040A358', 'X'], // RETIRED_VerbalSourceIdentifierCodeSequenceTrial
  ['0040A402', 'U'], // RETIRED_ObservationSubjectUIDTrial
  ['0040A730', 'D'], // ContentSequence
  ['0040DB0C', 'U'], // RETIRED_TemplateExtensionOrganizationUID
  ['0040DB0D', 'U'], // RETIRED_TemplateExtensionCreatorUID
  ['0050001B', 'X'], // ContainerComponentID
  ['00500020', 'X'], // DeviceDescription
  ['00500021', 'X'], // LongDeviceDescription
  ['00620021', 'U'], // TrackingUID
  ['00700001', 'D'], // GraphicAnnotationSequence
  ['00700084', 'Z/D'], // ContentCreatorName
  ['00700086', 'X'], // ContentCreatorIdentificationCodeSequence
  ['0070031A', 'U'], // FiducialUID
  ['00701101', 'U'], // PresentationDisplayCollectionUID
  ['00701102', 'U'], // PresentationSequenceCollectionUID
  ['00880140', 'U'], // StorageMediaFileSetUID
  ['00880200', 'X'], // IconImageSequence
  ['00880904', 'X'], // RETIRED_TopicTitle
  ['00880906', 'X'], // RETIRED_TopicSubject
  ['00880910', 'X'], // RETIRED_TopicAuthor
  ['00880912', 'X'], // RETIRED_TopicKeywords
  ['04000100', 'U'], // DigitalSignatureUID
  ['04000402', 'X'], // ReferencedDigitalSignatureSequence
  ['04000403', 'X'], // ReferencedSOPInstanceMACSequence
  ['04000404', 'X'], // MAC
  ['04000550', 'X'], // ModifiedAttributesSequence
  ['04000561', 'X'], // OriginalAttributesSequence
  ['04000600', 'X'], // InstanceOriginStatus
  ['20300020', 'X'], // TextString
  ['22000002', 'X/Z'], // LabelText
  ['22000005', 'X/Z'], // BarcodeValue
  ['30060024', 'U'], // ReferencedFrameOfReferenceUID
  ['300600C2', 'U'], // RETIRED_RelatedFrameOfReferenceUID
  ['30080054', 'X/D', true], // FirstTreatmentDate
  ['30080056', 'X/D', true], // MostRecentTreatmentDate
  ['30080105', 'X/Z'], // SourceSerialNumber
  ['30080250', 'X/D', true], // TreatmentDate
  ['30080251', 'X/D', true], // TreatmentTime
  ['300A0002', 'D'], // RTPlanLabel
  ['300A0003', 'X'], // RTPlanName
  ['300A0004', 'X'], // RTPlanDescription
  ['300A0006', 'X/D', true], // RTPlanDate
  ['300A0007', 'X/D', true], // RTPlanTime
  ['300A000E', 'X'], // PrescriptionDescription
  ['300A0013', 'U'], // DoseReferenceUID
  ['300A0016', 'X'], // DoseReferenceDescription
  ['300A0072', 'X'], // FractionGroupDescription
  ['300A0083', 'U'], // ReferencedDoseReferenceUID
  ['300A00B2', 'X'], // TreatmentMachineName
  ['300A00C3', 'X'], // BeamDescription
  ['300A00DD', 'X'], // BolusDescription
  ['300A0196', 'X'], // FixationDeviceDescription
  ['300A01A6', 'X'], // ShieldingDeviceDescription
  ['300A01B2', 'X'], // SetupTechniqueDescription
  ['300A0216', 'X'], // SourceManufacturer
  ['300A02EB', 'X'], // CompensatorDescription
  ['300A0608', 'D'], // TreatmentPositionGroupLabel
  ['300A0609', 'U'], // TreatmentPositionGroupUID
  ['300A0611', 'Z'], // RTAccessoryHolderSlotID
  ['300A0615', 'Z'], // RTAccessoryDeviceSlotID
  ['300A0619', 'D'], // RadiationDoseIdentificationLabel
  ['300A0623', 'D'], // RadiationDoseInVivoMeasurementLabel
  ['300A062A', 'D'], // RTToleranceSetLabel
  ['300A0650', 'U'], // PatientSetupUID
  ['300A0676', 'X'], // EquipmentFrameOfReferenceDescription
  ['300A067C', 'D'], // RadiationGenerationModeLabel
  ['300A067D', 'Z'], // RadiationGenerationModeDescription
  ['300A0700', 'U'], // TreatmentSessionUID
  ['300A0734', 'D'], // TreatmentToleranceViolationDescription
  ['300A0736', 'D', true], // TreatmentToleranceViolationDateTime
  ['300A073A', 'D', true], // RecordedRTControlPointDateTime
  ['300A0741', 'D', true], // InterlockDateTime
  ['300A0742', 'D'], // InterlockDescription
  ['300A0760', 'D', true], // OverrideDateTime
  ['300A0783', 'D'], // InterlockOriginDescription
  ['300C0113', 'X'], // ReasonForOmissionDescription
  ['300E0008', 'X/Z'], // ReviewerName
  ['30100006', 'U'], // ConceptualVolumeUID
  ['3010000B', 'U'], // ReferencedConceptualVolumeUID
  ['3010000F', 'Z'], // ConceptualVolumeCombinationDescription
  ['30100013', 'U'], // ConstituentConceptualVolumeUID
  ['30100015', 'U'], // SourceConceptualVolumeUID
  ['30100017', 'Z'], // ConceptualVolumeDescription
  ['3010001B', 'Z'], // DeviceAlternateIdentifier
  ['3010002D', 'D'], // DeviceLabel
  ['30100031', 'U'], // ReferencedFiducialsUID
  ['30100033', 'D'], // UserContentLabel
  ['30100034', 'D'], // UserContentLongLabel
  ['30100035', 'D'], // EntityLabel
  ['30100036', 'X'], // EntityName
  ['30100037', 'X'], // EntityDescription
  ['30100038', 'D'], // EntityLongLabel
  ['3010003B', 'U'], // RTTreatmentPhaseUID
  ['30100043', 'Z'], // ManufacturerDeviceIdentifier
  ['3010004C', 'X/D', true], // IntendedPhaseStartDate
  ['3010004D', 'X/D', true], // IntendedPhaseEndDate
  ['30100054', 'D'], // RTPrescriptionLabel
  ['30100056', 'X/D'], // RTTreatmentApproachLabel
  ['3010005A', 'Z'], // RTPhysicianIntentNarrative
  ['3010005C', 'Z'], // ReasonForSuperseding
  ['30100061', 'X'], // PriorTreatmentDoseDescription
  ['3010006E', 'U'], // DosimetricObjectiveUID
  ['3010006F', 'U'], // ReferencedDosimetricObjectiveUID
  ['30100077', 'D'], // TreatmentSite
  ['3010007A', 'Z'], // TreatmentTechniqueNotes
  ['3010007B', 'Z'], // PrescriptionNotes
  ['3010007F', 'Z'], // FractionationNotes
  ['30100081', 'Z'], // PrescriptionNotesSequence
  ['40000010', 'X'], // RETIRED_Arbitrary
  ['40004000', 'X'], // RETIRED_TextComments
  ['40080042', 'X'], // RETIRED_ResultsIDIssuer
  ['40080102', 'X'], // RETIRED_InterpretationRecorder
  ['4008010A', 'X'], // RETIRED_InterpretationTranscriber
  ['4008010B', 'X'], // RETIRED_InterpretationText
  ['4008010C', 'X'], // RETIRED_InterpretationAuthor
  ['40080111', 'X'], // RETIRED_InterpretationApproverSequence
  ['40080114', 'X'], // RETIRED_PhysicianApprovingInterpretation
  ['40080115', 'X'], // RETIRED_InterpretationDiagnosisDescription
  ['40080118', 'X'], // RETIRED_ResultsDistributionListSequence
  ['40080119', 'X'], // RETIRED_DistributionName
  ['4008011A', 'X'], // RETIRED_DistributionAddress
  ['40080202', 'X'], // RETIRED_InterpretationIDIssuer
  ['40080300', 'X'], // RETIRED_Impressions
  ['40084000', 'X'], // RETIRED_ResultsComments
  ['50XXXXXX', 'X'],
  ['60XX3000', 'X'], // HistogramSequence
  ['60XX4000', 'X'],
  ['FFFAFFFA', 'X'], // DigitalSignaturesSequence
  ['FFFCFFFC', 'X'], // DataSetTrailingPadding
];

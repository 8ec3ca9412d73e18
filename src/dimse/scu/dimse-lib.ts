/**
 * dcmjs-dimse (DIMSE associations and messages over TCP) as the SCU side uses it. Its logger
 * (loglevel) writes datasets and AE titles at info level; it is kept silent so nothing of a
 * patient reaches the console; our own summaries say what happened.
 */
import dimse from 'dcmjs-dimse';

dimse.log.setLevel('silent');

export { dimse };
export type DimseDataset = InstanceType<typeof dimse.Dataset>;
export type DimseAssociation = InstanceType<typeof dimse.association.Association>;

/** PS3.7 Annex C: status classes of a DIMSE response. */
export function isSuccess(status: number): boolean {
  return status === 0x0000;
}
/** PS3.4 B.2.3 / C.4.x: warnings (stored, with a coercion or a mismatch the peer noticed). */
export function isWarning(status: number): boolean {
  return status === 0x0001 || (status & 0xf000) === 0xb000;
}
/** Hex as DICOM prints statuses (PS3.7 Annex C), e.g. `A700`. */
export function statusHex(status: number): string {
  return status.toString(16).toUpperCase().padStart(4, '0');
}

/**
 * A dataset whose encoded form is bytes we already have in its transfer syntax (the stored
 * instance after its File Meta group): dcmjs-dimse asks the dataset for its encoding when it
 * writes P-DATA, so the stored bytes go out unchanged instead of through a parse and re-encode.
 * Only sent on a presentation context accepted with exactly `transferSyntaxUid`
 * (store-association.ts checks it), since the library would otherwise transcode from the
 * (almost empty) element map.
 */
export class EncodedDataset extends dimse.Dataset {
  constructor(
    private readonly encoded: Buffer,
    transferSyntaxUid: string,
    sopClassUid: string,
    sopInstanceUid: string,
  ) {
    super({ SOPClassUID: sopClassUid, SOPInstanceUID: sopInstanceUid }, transferSyntaxUid);
  }

  override getDenaturalizedDataset(): Buffer {
    return this.encoded;
  }
}

/**
 * Watches the PDU headers of an incoming DICOM UL byte stream (PS3.8 9.3) and reports the first
 * one that cannot be valid, before the library buffers towards it: an unknown PDU type, or a PDU
 * longer than we accept. The library reads the 6-byte header, then buffers the announced length
 * whatever it is; without this, one header announcing 4 GiB holds memory until the idle timeout.
 */

/** PDU types of PS3.8 Table 9-11: A-ASSOCIATE-RQ … A-ABORT. */
const PDU_TYPES = new Set([0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07]);
const P_DATA_TF = 0x04;
const HEADER = 6;
/** A-ASSOCIATE PDUs carry the presentation contexts: a few KiB in practice, never more. */
const MAX_ASSOCIATE_PDU = 1024 * 1024;

export type PduProblem = 'unknown-pdu-type' | 'pdu-too-long';

export class PduGuard {
  /** Bytes of the current PDU's body still to come. */
  private remaining = 0;
  private header = Buffer.alloc(0);

  /** `maxPduLength`: the P-DATA-TF length we announced (PS3.8 D.1: the peer must not exceed it). */
  constructor(private readonly maxPduLength: number) {}

  /** Feeds a chunk; returns the first problem found, or undefined. */
  check(chunk: Buffer): PduProblem | undefined {
    let at = 0;
    while (at < chunk.length) {
      if (this.remaining > 0) {
        const take = Math.min(this.remaining, chunk.length - at);
        this.remaining -= take;
        at += take;
        continue;
      }
      const need = HEADER - this.header.length;
      const take = Math.min(need, chunk.length - at);
      this.header = Buffer.concat([this.header, chunk.subarray(at, at + take)]);
      at += take;
      if (this.header.length < HEADER) return undefined;
      const type = this.header[0]!;
      const length = this.header.readUInt32BE(2);
      this.header = Buffer.alloc(0);
      if (!PDU_TYPES.has(type)) return 'unknown-pdu-type';
      // The PDU length field counts the PDU's body; a P-DATA-TF's body is its PDVs, whose
      // total the announced maximum bounds.
      const limit = type === P_DATA_TF ? this.maxPduLength : MAX_ASSOCIATE_PDU;
      if (length > limit) return 'pdu-too-long';
      this.remaining = length;
    }
    return undefined;
  }
}

/** A-ABORT PDU (PS3.8 9.3.8): type 7, length 4, two reserved bytes, source, reason. */
export function abortPdu(source: number, reason: number): Buffer {
  return Buffer.from([0x07, 0, 0, 0, 0, 4, 0, 0, source, reason]);
}

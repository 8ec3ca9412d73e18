/**
 * Writing Explicit VR Little Endian (PS3.5 §A.2): element and item headers, the File Meta group
 * (PS3.10 §7.1) and padded values, gathered in an output buffer handed out in chunks. The
 * transcoder's output side; retrieve uses the value helpers for the attributes it replaces.
 */
import { tagElement, tagGroup, TransferSyntaxUidTag, type Tag } from '../tag.js';
import { hasLongLength, isKnownVr } from '../vr.js';

/** About how many bytes the transcoder gathers before it yields a chunk. */
export const FLUSH_BYTES = 64 * 1024;

/** Output buffer: small writes are gathered and handed out in chunks of about FLUSH_BYTES. */
export class Out {
  private parts: Uint8Array[] = [];
  size = 0;
  push(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.parts.push(bytes);
    this.size += bytes.length;
  }
  take(): Uint8Array {
    const all = this.parts.length === 1 ? (this.parts[0] as Uint8Array) : Buffer.concat(this.parts);
    this.parts = [];
    this.size = 0;
    return all;
  }
}

export interface MetaElement {
  vr: string;
  value: Uint8Array;
}

export /** PS3.10 §7.1: the File Meta group with its group length, TransferSyntaxUID replaced. */
function writeMeta(meta: Map<Tag, MetaElement>, transferSyntaxUid: string): Uint8Array {
  const elements = new Map(meta);
  elements.set(TransferSyntaxUidTag, { vr: 'UI', value: uidBytes(transferSyntaxUid) });
  const body = new Out();
  for (const [tag, { vr, value }] of [...elements.entries()].sort(([a], [b]) => (a < b ? -1 : 1)))
    writeElement(body, tag, vr, value);
  const content = body.take();
  const length = new Uint8Array(4);
  new DataView(length.buffer).setUint32(0, content.length, true);
  const head = new Out();
  writeElement(head, '00020000', 'UL', length);
  head.push(content);
  return head.take();
}

/** A UI value padded with NUL to even length (PS3.5 §9.1). */
export function uidBytes(uid: string): Uint8Array {
  const text = uid.length % 2 === 1 ? `${uid}\0` : uid;
  return Buffer.from(text, 'latin1');
}

/** A text value padded with a space to even length (PS3.5 §6.2). */
export function textBytes(text: string): Uint8Array {
  return Buffer.from(text.length % 2 === 1 ? `${text} ` : text, 'latin1');
}

/** A US value, little endian. */
export function usBytes(value: number): Uint8Array {
  const bytes = new Uint8Array(2);
  new DataView(bytes.buffer).setUint16(0, value, true);
  return bytes;
}

export function writeHeader(out: Out, tag: Tag, vr: string, length: number): void {
  const long = hasLongLength(vr) || !isKnownVr(vr);
  const header = new Uint8Array(long ? 12 : 8);
  const view = new DataView(header.buffer);
  view.setUint16(0, parseInt(tag.slice(0, 4), 16), true);
  view.setUint16(2, parseInt(tag.slice(4), 16), true);
  header[4] = vr.charCodeAt(0);
  header[5] = vr.charCodeAt(1);
  if (long) view.setUint32(8, length, true);
  else view.setUint16(6, length, true);
  out.push(header);
}

export function writeElement(out: Out, tag: Tag, vr: string, value: Uint8Array): void {
  writeHeader(out, tag, vr, value.length);
  out.push(value);
}

/** An item or delimitation header (tag FFFE,xxxx and a 32-bit length), little endian. */
export function writeItemHeader(out: Out, tag: Tag, length = 0): void {
  const bytes = new Uint8Array(8);
  const view = new DataView(bytes.buffer);
  view.setUint16(0, tagGroup(tag), true);
  view.setUint16(2, tagElement(tag), true);
  view.setUint32(4, length, true);
  out.push(bytes);
}

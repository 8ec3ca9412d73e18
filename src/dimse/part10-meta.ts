import { writeMeta, type MetaElement } from '../dicom/part10/element-writer.js';
import type { Tag } from '../dicom/tag.js';

/**
 * The Part 10 head (PS3.10 7.1) for a dataset received over DIMSE: 128-byte preamble, `DICM`,
 * and the File Meta group naming its SOP class and instance (from the C-STORE command), the
 * negotiated transfer syntax and the sending AE. Prepended to the dataset's bytes as they
 * arrive, it makes the stream what STOW receives, so both protocols share one ingest: the cost
 * is these ~200 bytes per instance, no parse and no copy of the dataset.
 */
export function part10Head(fields: {
  sopClassUid: string;
  sopInstanceUid: string;
  transferSyntaxUid: string;
  implementationClassUid: string;
  implementationVersion: string;
  sourceAeTitle: string;
}): Buffer {
  const meta = new Map<Tag, MetaElement>([
    // (0002,0001) File Meta Information Version: 00 01.
    ['00020001', { vr: 'OB', value: Uint8Array.from([0, 1]) }],
    ['00020002', { vr: 'UI', value: uid(fields.sopClassUid) }],
    ['00020003', { vr: 'UI', value: uid(fields.sopInstanceUid) }],
    ['00020012', { vr: 'UI', value: uid(fields.implementationClassUid) }],
    ['00020013', { vr: 'SH', value: text(fields.implementationVersion.slice(0, 16)) }],
    ['00020016', { vr: 'AE', value: text(fields.sourceAeTitle) }],
  ]);
  return Buffer.concat([
    Buffer.alloc(128),
    Buffer.from('DICM', 'latin1'),
    writeMeta(meta, fields.transferSyntaxUid),
  ]);
}

function uid(value: string): Uint8Array {
  const trimmed = value.replace(/[\0 ]+$/, '');
  return Buffer.from(trimmed.length % 2 === 1 ? `${trimmed}\0` : trimmed, 'latin1');
}

function text(value: string): Uint8Array {
  return Buffer.from(value.length % 2 === 1 ? `${value} ` : value, 'latin1');
}

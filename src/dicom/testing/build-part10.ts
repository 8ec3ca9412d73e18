/**
 * Builders of small synthetic Part 10 byte streams for tests and benches (Explicit VR LE
 * unless told otherwise). Not a test file.
 */
import type { ItemDelimitationTag, ItemTag, SequenceDelimitationTag } from '../tag.js';
import { hasLongLength } from '../vr.js';

const UNDEFINED = 0xffffffff;

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
export { concat };

function tagBytes(tag: string, view: DataView, at: number): void {
  view.setUint16(at, parseInt(tag.slice(0, 4), 16), true);
  view.setUint16(at + 2, parseInt(tag.slice(4), 16), true);
}

/** Text padded to even length with the VR's padding byte. */
export function text(s: string, pad = ' '): Uint8Array {
  const padded = s.length % 2 === 1 ? s + pad : s;
  return new Uint8Array(Buffer.from(padded, 'latin1'));
}

export function uint16s(...values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * 2);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setUint16(i * 2, v, true));
  return out;
}

/** An element header (and value). `length` overrides the value's length, e.g. UNDEFINED. */
export function explicitElement(
  tag: string,
  vr: string,
  value: Uint8Array = new Uint8Array(0),
  length?: number,
): Uint8Array {
  const long = hasLongLength(vr);
  const header = new Uint8Array(long ? 12 : 8);
  const view = new DataView(header.buffer);
  tagBytes(tag, view, 0);
  header[4] = vr.charCodeAt(0);
  header[5] = vr.charCodeAt(1);
  if (long) view.setUint32(8, length ?? value.length, true);
  else view.setUint16(6, length ?? value.length, true);
  return concat([header, value]);
}

export function implicitElement(
  tag: string,
  value: Uint8Array = new Uint8Array(0),
  length?: number,
): Uint8Array {
  const header = new Uint8Array(8);
  const view = new DataView(header.buffer);
  tagBytes(tag, view, 0);
  view.setUint32(4, length ?? value.length, true);
  return concat([header, value]);
}

/** An item or delimitation header (FFFE,xxxx + 32-bit length). */
export function itemHeader(
  tag: typeof ItemTag | typeof ItemDelimitationTag | typeof SequenceDelimitationTag,
  length = 0,
): Uint8Array {
  const header = new Uint8Array(8);
  const view = new DataView(header.buffer);
  tagBytes(tag, view, 0);
  view.setUint32(4, length, true);
  return header;
}

export const UNDEFINED_LENGTH = UNDEFINED;

/** Preamble + 'DICM' + a minimal file meta for `transferSyntaxUid`. */
export function fileMeta(transferSyntaxUid: string): Uint8Array {
  const body = concat([
    explicitElement('00020001', 'OB', new Uint8Array([0, 1])),
    explicitElement('00020002', 'UI', text('1.2.840.10008.5.1.4.1.1.7', '\0')),
    explicitElement('00020003', 'UI', text('1.2.3.4.5', '\0')),
    explicitElement('00020010', 'UI', text(transferSyntaxUid, '\0')),
  ]);
  const groupLength = new Uint8Array(4);
  new DataView(groupLength.buffer).setUint32(0, body.length, true);
  const preamble = new Uint8Array(132);
  preamble.set([0x44, 0x49, 0x43, 0x4d], 128);
  return concat([preamble, explicitElement('00020000', 'UL', groupLength), body]);
}

/** A Part 10 file: meta for Explicit VR LE (or `transferSyntaxUid`), then `elements`. */
export function part10(
  elements: readonly Uint8Array[],
  transferSyntaxUid = '1.2.840.10008.1.2.1',
): Uint8Array {
  return concat([fileMeta(transferSyntaxUid), ...elements]);
}

/** The header of a small native image (Explicit VR LE) up to and including the pixel data element header. */
export function nativeImageHeader(rows: number, columns: number, frames: number): Uint8Array {
  const pixelBytes = rows * columns * 2 * frames;
  return part10([
    explicitElement('00080016', 'UI', text('1.2.840.10008.5.1.4.1.1.7', '\0')),
    explicitElement('00080018', 'UI', text('1.2.3.4.5', '\0')),
    explicitElement('0020000D', 'UI', text('1.2.3.4', '\0')),
    explicitElement('0020000E', 'UI', text('1.2.3.4.1', '\0')),
    explicitElement('00280002', 'US', uint16s(1)),
    explicitElement('00280004', 'CS', text('MONOCHROME2')),
    explicitElement('00280008', 'IS', text(String(frames))),
    explicitElement('00280010', 'US', uint16s(rows)),
    explicitElement('00280011', 'US', uint16s(columns)),
    explicitElement('00280100', 'US', uint16s(16)),
    explicitElement('00280101', 'US', uint16s(16)),
    explicitElement('00280102', 'US', uint16s(15)),
    explicitElement('00280103', 'US', uint16s(0)),
    explicitElement('7FE00010', 'OW', new Uint8Array(0), pixelBytes),
  ]);
}

/**
 * A synthetic native instance of about `pixelBytes` bytes, streamed: the header, then zero
 * chunks of `chunkSize` (one reused buffer), never materialised as a whole.
 */
export async function* syntheticNativeInstance(
  pixelBytes: number,
  chunkSize = 1024 * 1024,
): AsyncGenerator<Uint8Array> {
  yield* await Promise.resolve(syntheticChunks(pixelBytes, chunkSize));
}

function* syntheticChunks(pixelBytes: number, chunkSize: number): Generator<Uint8Array> {
  const columns = 1024;
  const frameBytes = 1024 * columns * 2;
  const frames = Math.max(1, Math.round(pixelBytes / frameBytes));
  yield nativeImageHeader(1024, columns, frames);
  const zeros = new Uint8Array(chunkSize);
  let left = frames * frameBytes;
  while (left > 0) {
    const n = Math.min(left, chunkSize);
    yield n === chunkSize ? zeros : zeros.subarray(0, n);
    left -= n;
  }
}

/** Pixel data length of `syntheticNativeInstance(pixelBytes)`. */
export function syntheticPixelLength(pixelBytes: number): number {
  const frameBytes = 1024 * 1024 * 2;
  return Math.max(1, Math.round(pixelBytes / frameBytes)) * frameBytes;
}

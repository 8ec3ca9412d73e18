/**
 * What a scan records about values it did not keep in memory: bulk data references and the
 * layout of the top-level pixel data. Offsets are absolute byte positions in the file.
 */

/** Path of an element: tags and item indexes joined by '/', e.g. '7FE00010' or '00540016/0/00181079'. */
export interface BulkDataRef {
  path: string;
  tag: string;
  vr: string;
  /** Offset of the first value byte (of the first item tag for encapsulated pixel data). */
  offset: number;
  length: number;
}

export interface NativePixelData {
  kind: 'native';
  /** 7FE00010 | 7FE00008 | 7FE00009 */
  tag: string;
  vr: string;
  offset: number;
  length: number;
}

export interface Fragment {
  /** Offset of the fragment's first value byte (after its item header). */
  offset: number;
  length: number;
  /**
   * The first two value bytes, big-endian (0xFFD8 for a JPEG SOI, 0xFF4F for a JPEG 2000 SOC),
   * so frames can be told apart without re-reading; absent for fragments shorter than 2 bytes.
   */
  startBytes?: number;
}

export interface EncapsulatedPixelData {
  kind: 'encapsulated';
  tag: string;
  /** Offset of the first item tag (the Basic Offset Table item). */
  offset: number;
  /** Bytes from `offset` through the end of the sequence delimitation item. */
  length: number;
  /** PS3.5 §A.4: offsets of each frame's first fragment item, relative to the first fragment item. */
  basicOffsetTable: number[];
  /** PS3.3 C.7.6.3.1.8: Extended Offset Table (7FE0,0001) and its lengths (7FE0,0002). */
  extendedOffsetTable?: { offsets: number[]; lengths: number[] };
  fragments: Fragment[];
}

export type PixelDataLayout = NativePixelData | EncapsulatedPixelData;

/** Collects warnings without values; repeats and floods are folded. */
export class Warnings {
  static readonly MAX = 100;
  readonly list: string[] = [];
  private readonly seen = new Set<string>();

  add(message: string): void {
    if (this.seen.has(message) || this.list.length > Warnings.MAX) return;
    this.seen.add(message);
    this.list.push(this.list.length === Warnings.MAX ? 'further warnings omitted' : message);
  }
}

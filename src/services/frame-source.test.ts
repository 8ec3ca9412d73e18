import { Readable } from 'node:stream';
import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { TransferSyntax } from '../dicom/uid.js';
import type { ByteRange } from '../storage/blob-store.js';
import { MemoryBlobStore } from '../storage/memory-blob-store.js';
import { FrameSource } from './frame-source.js';
import { planInstance } from './retrieve-syntax.js';
import type { StoredInstance } from './stored-instance.js';

function instance(over: Partial<StoredInstance>): StoredInstance {
  return {
    id: 1,
    patientId: 'PID-1',
    studyInstanceUid: '1.2',
    seriesInstanceUid: '1.3',
    sopInstanceUid: '1.4',
    sopClassUid: '1.5',
    transferSyntaxUid: TransferSyntax.ExplicitVRLittleEndian,
    instanceNumber: 1,
    numberOfFrames: 1,
    rows: 1,
    columns: 1,
    bitsAllocated: 8,
    blobKey: 'k',
    storageTier: 'memory',
    size: 0,
    sha256: '',
    version: 1,
    datasetOffset: 0,
    deflated: false,
    pixelData: null,
    bulkData: [],
    metadata: {},
    ...over,
  };
}

async function sourceWith(bytes: Uint8Array): Promise<FrameSource> {
  const store = new MemoryBlobStore('memory');
  await store.put('k', Readable.from([Buffer.from(bytes)]));
  return new FrameSource({ stores: new Map([['memory', store]]) });
}

describe('FrameSource', () => {
  it('reads each frame as its own byte range of the blob, never the whole blob', async () => {
    // 3 native frames of 4 bytes after a 100-byte header.
    const file = Buffer.concat([
      Buffer.alloc(100, 0xee),
      Buffer.from([1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3]),
    ]);
    const store = new MemoryBlobStore('memory');
    await store.put('k', Readable.from([file]));
    const asked: (ByteRange | undefined)[] = [];
    const get = store.get.bind(store);
    store.get = (key, options) => {
      asked.push(options?.range);
      return get(key, options);
    };
    const source = new FrameSource({ stores: new Map([['memory', store]]) });
    const three = instance({
      rows: 2,
      columns: 2,
      numberOfFrames: 3,
      pixelData: { kind: 'native', tag: '7FE00010', vr: 'OB', offset: 100, length: 12 },
    });
    const frames = await source.readFrames(three, [3, 1]);
    expect(frames.map((f) => [...f])).toEqual([
      [3, 3, 3, 3],
      [1, 1, 1, 1],
    ]);
    expect(asked).toEqual([
      { start: 108, end: 111 },
      { start: 100, end: 103 },
    ]);
  });

  it('re-aligns packed 1-bit frames that start mid-byte (PS3.5 §8.1.1)', async () => {
    // 3x3 frames of 9 bits: frame 1 = bits 0-8, frame 2 = bits 9-17 (all ones), LSB first.
    const bytes = new Uint8Array([0b00000000, 0b11111110, 0b00000011, 0]);
    const source = await sourceWith(bytes);
    const seg = instance({
      rows: 3,
      columns: 3,
      bitsAllocated: 1,
      numberOfFrames: 2,
      pixelData: { kind: 'native', tag: '7FE00010', vr: 'OB', offset: 0, length: 4 },
    });
    const [first, second] = await source.readFrames(seg, [1, 2]);
    expect([...first!]).toEqual([0, 0]);
    expect([...second!]).toEqual([0xff, 0x01]);
  });

  it('swaps OW frames of a big-endian file to little endian', async () => {
    const source = await sourceWith(new Uint8Array([0x01, 0x02, 0x03, 0x04]));
    const be = instance({
      transferSyntaxUid: TransferSyntax.ExplicitVRBigEndian,
      rows: 1,
      columns: 2,
      bitsAllocated: 16,
      pixelData: { kind: 'native', tag: '7FE00010', vr: 'OW', offset: 0, length: 4 },
    });
    const [frame] = await source.readFrames(be, [1]);
    expect([...frame!]).toEqual([0x02, 0x01, 0x04, 0x03]);
  });

  it('inflates a deflated file up to the frame (offsets count inflated bytes)', async () => {
    const dataset = new Uint8Array(1000).map((_, i) => i % 251);
    const file = Buffer.concat([Buffer.alloc(10), deflateRawSync(dataset)]);
    const source = await sourceWith(file);
    const deflated = instance({
      transferSyntaxUid: TransferSyntax.DeflatedExplicitVRLittleEndian,
      deflated: true,
      datasetOffset: 10,
      rows: 10,
      columns: 10,
      numberOfFrames: 2,
      pixelData: { kind: 'native', tag: '7FE00010', vr: 'OB', offset: 10 + 500, length: 200 },
    });
    const [second] = await source.readFrames(deflated, [2]);
    expect(Buffer.from(second!).equals(Buffer.from(dataset.subarray(600, 700)))).toBe(true);
  });

  it('joins the fragments of an encapsulated frame without item headers', async () => {
    const bytes = Buffer.from([0xff, 0xd8, 1, 2, 0xfe, 0xff, 0, 0xe0, 2, 0, 0, 0, 3, 4]);
    const source = await sourceWith(bytes);
    const jpeg = instance({
      transferSyntaxUid: TransferSyntax.JPEGBaseline8Bit,
      pixelData: {
        kind: 'encapsulated',
        tag: '7FE00010',
        offset: 0,
        length: 14,
        basicOffsetTable: [],
        fragments: [
          { offset: 0, length: 4, startBytes: 0xffd8 },
          { offset: 12, length: 2 },
        ],
      },
    });
    const [frame] = await source.readFrames(jpeg, [1]);
    expect([...frame!]).toEqual([0xff, 0xd8, 1, 2, 3, 4]);
  });

  it('refuses frame 0 (400), a frame beyond the count (404) and a non-image (404)', async () => {
    const source = await sourceWith(new Uint8Array(4));
    const one = instance({
      pixelData: { kind: 'native', tag: '7FE00010', vr: 'OB', offset: 0, length: 1 },
    });
    await expect(source.readFrames(one, [0])).rejects.toMatchObject({
      code: 'service.invalid_frame_list',
    });
    await expect(source.readFrames(one, [2])).rejects.toMatchObject({
      code: 'service.frame_not_found',
    });
    await expect(source.readFrames(instance({}), [1])).rejects.toMatchObject({
      code: 'service.no_pixel_data',
    });
  });
});

describe('planInstance (PS3.18 8.7.3.5)', () => {
  const TS = TransferSyntax;
  it.each([
    [TS.ImplicitVRLittleEndian, undefined, 'transcode'],
    [TS.ExplicitVRBigEndian, undefined, 'transcode'],
    [TS.DeflatedExplicitVRLittleEndian, TS.ExplicitVRLittleEndian, 'transcode'],
    [TS.ExplicitVRLittleEndian, undefined, 'stored'],
    [TS.ImplicitVRLittleEndian, '*', 'stored'],
    [TS.JPEGBaseline8Bit, undefined, 'stored'],
    [TS.JPEGBaseline8Bit, TS.ExplicitVRLittleEndian, 'decode'],
    [TS.RLELossless, undefined, 'decode'],
    [TS.JPEG2000Lossless, undefined, 'decode'],
  ] as const)('%s asked as %s → %s', (stored, requested, mode) => {
    expect(planInstance(stored, requested, true).mode).toBe(mode);
  });

  it('refuses syntaxes it cannot produce with a 406 naming what it can', () => {
    expect(() => planInstance(TS.ExplicitVRLittleEndian, TS.JPEGBaseline8Bit, true)).toThrow(
      /converts only to Explicit VR Little Endian/,
    );
    expect(() => planInstance('1.2.840.10008.1.2.4.110', undefined, true)).toThrow(
      /transfer-syntax=\*/,
    );
  });
});

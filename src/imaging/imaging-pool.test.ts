import { afterAll, describe, expect, it } from 'vitest';
import { TransferSyntax } from '../dicom/uid.js';
import { decodeFrame } from './decode.js';
import { ImagingPool } from './imaging-pool.js';
import type { PixelDescription } from './pixel-description.js';
import { sampleFrames } from './testing/sample-frames.js';

const pools: ImagingPool[] = [];
function newPool(concurrency: number, maxQueue: number): ImagingPool {
  const pool = new ImagingPool({ concurrency, maxQueue });
  pools.push(pool);
  return pool;
}

afterAll(async () => {
  await Promise.all(pools.map((p) => p.close()));
});

const GRAY_2X2: PixelDescription = {
  rows: 2,
  columns: 2,
  samplesPerPixel: 1,
  bitsAllocated: 8,
  bitsStored: 8,
  highBit: 7,
  pixelRepresentation: 0,
  photometricInterpretation: 'MONOCHROME2',
  planarConfiguration: 0,
  numberOfFrames: 1,
};

describe('ImagingPool', () => {
  it('decodes on a worker thread to the same pixels as in-process, for WASM and JS codecs', async () => {
    const pool = newPool(2, 4);
    for (const file of ['ts-jpegls-lossless_NM_nema.dcm', 'ts-jpeg-lossless-sv1_US_8bit.dcm']) {
      const s = await sampleFrames(file);
      const frame = s.frames[0]!;
      const here = await decodeFrame(frame, s.transferSyntaxUid, s.description);
      const there = await pool.decode(frame.slice(), s.transferSyntaxUid, s.description);
      expect(there.description).toEqual(here.description);
      expect(Buffer.from(there.data).equals(Buffer.from(here.data))).toBe(true);
    }
  });

  it('renders display pixels on a worker thread, and windows the frame it kept there again', async () => {
    const pool = newPool(1, 0);
    const { image, gray } = await pool.use((worker) =>
      worker.display({
        frame: new Uint8Array([0, 85, 170, 255]),
        transferSyntaxUid: TransferSyntax.ExplicitVRLittleEndian,
        description: GRAY_2X2,
        dataset: {},
      }),
    );
    expect(image).toMatchObject({ width: 2, height: 2, channels: 1 });
    expect([...image.data]).toEqual([0, 85, 170, 255]);
    // The kept values are shared with the worker, not copied back and forth.
    expect(gray?.values.buffer).toBeInstanceOf(SharedArrayBuffer);
    const again = await pool.use((worker) =>
      worker.window({ gray: gray!, window: { center: 128, width: 2, function: 'LINEAR_EXACT' } }),
    );
    expect([...again.data]).toEqual([0, 0, 255, 255]);
    const png = await pool.use((worker) =>
      worker.encodeGray({ gray: gray!, encode: { mediaType: 'image/png' } }),
    );
    expect([...png.subarray(1, 4)].map((c) => String.fromCharCode(c)).join('')).toBe('PNG');
  });

  it('rebuilds a typed error thrown in the worker (a damaged codestream is a DecodeError)', async () => {
    const pool = newPool(1, 0);
    const error = await pool
      .decode(new Uint8Array([0xff, 0xd8, 0, 0]), TransferSyntax.JPEGLSLossless, GRAY_2X2)
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'DecodeError', code: 'imaging.decode_failed' });
  });

  it('queues beyond its concurrency and refuses beyond its queue with a retry time', async () => {
    const pool = newPool(1, 1);
    const order: string[] = [];
    let release!: () => void;
    const held = pool.use(async () => {
      order.push('first');
      await new Promise<void>((resolve) => (release = resolve));
    });
    const queued = pool.use(() => Promise.resolve(void order.push('queued')));
    expect(pool.load()).toEqual({ active: 1, queued: 1 });
    await expect(pool.use(() => Promise.resolve())).rejects.toMatchObject({
      code: 'imaging.busy',
      retryAfterSeconds: 1,
    });
    expect(order).toEqual(['first']);
    release();
    await Promise.all([held, queued]);
    expect(order).toEqual(['first', 'queued']);
    expect(pool.load()).toEqual({ active: 0, queued: 0 });
  });

  it('lets work continuing an admitted response wait even when the queue is full', async () => {
    const pool = newPool(1, 0);
    let release!: () => void;
    const held = pool.use(() => new Promise<void>((resolve) => (release = resolve)));
    await expect(pool.use(() => Promise.resolve())).rejects.toMatchObject({ code: 'imaging.busy' });
    const continued = pool.use(() => Promise.resolve('frame 2'), undefined, { admitted: true });
    release();
    await held;
    expect(await continued).toBe('frame 2');
  });

  it('gives a queued place up when its request is aborted', async () => {
    const pool = newPool(1, 1);
    let release!: () => void;
    const held = pool.use(() => new Promise<void>((resolve) => (release = resolve)));
    const abort = new AbortController();
    const gone = pool.use(() => Promise.resolve('ran'), abort.signal);
    abort.abort(new Error('client gone'));
    await expect(gone).rejects.toThrow('client gone');
    // The place is free again: another request queues instead of being refused.
    const next = pool.use(() => Promise.resolve('next'));
    release();
    await held;
    expect(await next).toBe('next');
  });
});

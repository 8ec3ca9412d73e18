import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import type { DecodedFrame } from './decode.js';
import { decodeFrame } from './decode.js';
import { ImageTooLargeError, NotAnImageError, RenderParameterError } from './errors.js';
import type { PixelDescription } from './pixel-description.js';
import { assertRenderableSize, encodeImage, toDisplay, type RenderedMediaType } from './render.js';
import {
  parseRenderParams,
  parseViewport,
  parseWindow,
  type RenderParams,
} from './render-params.js';
import { sampleFrames } from './testing/sample-frames.js';
import { samplesAvailable } from '../dicom/testing/samples.js';

const MONO16: PixelDescription = {
  rows: 1,
  columns: 5,
  samplesPerPixel: 1,
  bitsAllocated: 16,
  bitsStored: 16,
  highBit: 15,
  pixelRepresentation: 0,
  photometricInterpretation: 'MONOCHROME2',
  planarConfiguration: 0,
  numberOfFrames: 1,
};

function frame16(values: number[], description: Partial<PixelDescription> = {}): DecodedFrame {
  const data = new Uint8Array(values.length * 2);
  const view = new DataView(data.buffer);
  values.forEach((v, i) => view.setUint16(i * 2, v & 0xffff, true));
  return { description: { ...MONO16, columns: values.length, ...description }, data };
}

const gray = (f: DecodedFrame, window?: string, ds = {}) => [
  ...toDisplay(f, ds, window ? { window: parseWindow(window) } : {}).data,
];

describe('grayscale pipeline', () => {
  const ramp = frame16([0, 1000, 1500, 2000, 3000]);

  it('applies the three window functions of PS3.3 C.11.2.1.2', () => {
    expect(gray(ramp, '1500,1000,linear-exact')).toEqual([0, 0, 128, 255, 255]);
    expect(gray(ramp, '1500,1001,linear')).toEqual([0, 0, 128, 255, 255]);
    const sigmoid = gray(ramp, '1500,1000,sigmoid');
    expect(sigmoid[2]).toBe(128);
    expect(sigmoid[1]).toBe(Math.round(255 / (1 + Math.exp(2))));
  });

  it('uses the dataset window (first value) and rescale when the request has none', () => {
    const ds = {
      '00281050': { vr: 'DS', Value: [476, 9999] },
      '00281051': { vr: 'DS', Value: [1000, 1] },
      '00281052': { vr: 'DS', Value: [-1024] },
      '00281053': { vr: 'DS', Value: [1] },
    };
    // stored 1500 → 476 HU = the window centre
    expect(gray(ramp, undefined, ds)[2]).toBe(128);
  });

  it('falls back to the frame min/max, inverts MONOCHROME1', () => {
    expect(gray(ramp)).toEqual([0, 85, 128, 170, 255]);
    const mono1 = frame16([0, 1000, 1500, 2000, 3000], {
      photometricInterpretation: 'MONOCHROME1',
    });
    expect(gray(mono1, '1500,1000,linear-exact')).toEqual([255, 255, 127, 0, 0]);
  });

  it('sign-extends signed pixels and masks bits above High Bit', () => {
    const signed = frame16([0xffff, 0, 1], { pixelRepresentation: 1 });
    expect(gray(signed, '0,2,linear-exact')).toEqual([0, 128, 255]);
    // 12 bits stored: the top nibble (overlay bits in old files) must not change the value
    const twelve = frame16([0xf000 | 2048, 2048], { bitsStored: 12, highBit: 11 });
    expect(gray(twelve, '2048,100,linear-exact')).toEqual([128, 128]);
    const signed12 = frame16([0xfff, 0x7ff], {
      bitsStored: 12,
      highBit: 11,
      pixelRepresentation: 1,
    });
    expect(gray(signed12, '-1,2,linear-exact')).toEqual([128, 255]);
  });
});

describe.skipIf(!samplesAvailable)('colour', () => {
  it('native YBR_FULL_422 converts to RGB: the first band of pydicom SC_rgb is red', async () => {
    const s = await sampleFrames('pi-ybr-full-422_native.dcm');
    const decoded = await decodeFrame(s.frames[0]!, s.transferSyntaxUid, s.description);
    const image = toDisplay(decoded, s.dataset);
    expect(image.channels).toBe(3);
    expect(image.data.length).toBe(100 * 100 * 3);
    expect(image.data[0]).toBeGreaterThan(240);
    expect(image.data[1]).toBeLessThan(15);
  });

  it('PALETTE COLOR maps indexes through the inline palette LUTs', async () => {
    const s = await sampleFrames('pi-palette-color_US_rle.dcm');
    const decoded = await decodeFrame(s.frames[0]!, s.transferSyntaxUid, s.description);
    const image = toDisplay(decoded, s.dataset);
    expect(image.channels).toBe(3);
    // Index 0 maps to black in every channel of this Philips palette.
    const zero = decoded.data.indexOf(0);
    expect(zero).toBeGreaterThanOrEqual(0);
    expect([...image.data.subarray(zero * 3, zero * 3 + 3)]).toEqual([0, 0, 0]);
    const withoutLut = { ...s.dataset };
    delete withoutLut['00281201'];
    expect(() => toDisplay(decoded, withoutLut)).toThrow(NotAnImageError);
  });
});

/** toDisplay + encodeImage, as the imaging worker and sharp do them for a rendered request. */
function renderFrame(
  frame: DecodedFrame,
  dataset: Parameters<typeof toDisplay>[1],
  params: RenderParams,
  mediaType: RenderedMediaType,
): Promise<Buffer> {
  const image = toDisplay(frame, dataset, params);
  return encodeImage(image, { mediaType, viewport: params.viewport, quality: params.quality });
}

describe('encodeImage and toDisplay', () => {
  it.skipIf(!samplesAvailable)(
    'renders a CT sample as JPEG, PNG and WebP of the right size, scaled to fit the viewport',
    async () => {
      const s = await sampleFrames('ts-explicit-le_CT_small.dcm');
      const decoded = await decodeFrame(s.frames[0]!, s.transferSyntaxUid, s.description);
      for (const [type, format] of [
        ['image/jpeg', 'jpeg'],
        ['image/png', 'png'],
        ['image/webp', 'webp'],
      ] as const) {
        const meta = await sharp(await renderFrame(decoded, s.dataset, {}, type)).metadata();
        expect([meta.format, meta.width, meta.height]).toEqual([format, 128, 128]);
      }
      const fitted = await renderFrame(
        decoded,
        s.dataset,
        { viewport: parseViewport('64,32') },
        'image/png',
      );
      expect(await sharp(fitted).metadata()).toMatchObject({ width: 32, height: 32 });
      const region = await renderFrame(
        decoded,
        s.dataset,
        { viewport: parseViewport('100,100,0,0,64,32') },
        'image/png',
      );
      expect(await sharp(region).metadata()).toMatchObject({ width: 100, height: 50 });
    },
  );

  it('refuses a viewport region outside the frame', async () => {
    const image = { data: new Uint8Array(4), width: 2, height: 2, channels: 1 as const };
    await expect(
      encodeImage(image, { mediaType: 'image/png', viewport: parseViewport('2,2,1,1,2,2') }),
    ).rejects.toThrow(RenderParameterError);
  });
});

describe('parseRenderParams', () => {
  const parse = (q: Record<string, string>) => parseRenderParams((name) => q[name]);

  it('parses window, viewport and quality', () => {
    expect(parse({ window: '40,400,LINEAR', viewport: '256,256', quality: '75' })).toEqual({
      window: { center: 40, width: 400, function: 'LINEAR' },
      viewport: { width: 256, height: 256 },
      quality: 75,
    });
  });

  it.each([
    [{ window: '40,400' }, /center,width,function/],
    [{ window: '40,abc,linear' }, /not a number/],
    [{ window: '40,0,linear' }, /at least 1/],
    [{ window: '40,10,cubic' }, /linear, linear-exact or sigmoid/],
    [{ viewport: '0,10' }, /viewport width/],
    [{ viewport: '10,10,0,0' }, /vw,vh or/],
    [{ viewport: '10,10,0,0,-5,5' }, /region/],
    [{ quality: '101' }, /1 to 100/],
    [{ quality: '5.5' }, /1 to 100/],
  ])('refuses %o', (query, message) => {
    expect(() => parse(query)).toThrow(message);
  });
});

describe('assertRenderableSize', () => {
  it('accepts a 4096×5120 mammogram and refuses a 65536×65536 frame', () => {
    expect(() => assertRenderableSize({ rows: 5120, columns: 4096 })).not.toThrow();
    expect(() => assertRenderableSize({ rows: 65536, columns: 65536 })).toThrow(ImageTooLargeError);
  });
});

/**
 * Rendering a decoded frame to an image (PS3.18 §8.3.5 rendered media types): the grayscale
 * or colour pipeline to 8-bit pixels, then crop/scale to the viewport and encode with sharp.
 */
import type { Sharp, SharpOptions } from 'sharp';
import type { DicomJsonDataset } from '../dicom/json/dicom-json.js';
import type { DecodedFrame } from './decode.js';
import { ImageTooLargeError, NotAnImageError, RenderParameterError } from './errors.js';
import { grayFrameOf, windowGray, type GrayFrame } from './gray-frame.js';
import { grayscaleToDisplay } from './grayscale.js';
import { rescaleOf } from './modality-lut.js';
import { colourToRgb, paletteOf, paletteToRgb, type LutData } from './photometric.js';
import type { RenderParams, Viewport } from './render-params.js';
import { windowOf, type VoiWindow } from './voi-lut.js';

/** Media types we render to (PS3.18 Table 8.7.4-1: image/jpeg default, image/png; webp extra). */
export const RENDERED_MEDIA_TYPES = ['image/jpeg', 'image/png', 'image/webp'] as const;
export type RenderedMediaType = (typeof RENDERED_MEDIA_TYPES)[number];

/**
 * Bounded memory: a frame is decoded whole, so frames above 64 Mi pixels (8192², e.g. 512 MiB
 * as 16-bit RGB plus the 8-bit copy) are refused rather than risking the process. Digital
 * mammograms (~4096×5120) and whole-slide tiles are far below this.
 */
export const MAX_RENDER_PIXELS = 64 * 1024 * 1024;

/** @throws ImageTooLargeError above MAX_RENDER_PIXELS. */
export function assertRenderableSize(description: { rows: number; columns: number }): void {
  if (description.rows * description.columns > MAX_RENDER_PIXELS)
    throw new ImageTooLargeError(
      `frames above ${MAX_RENDER_PIXELS} pixels are not rendered (this one is ${description.columns}x${description.rows})`,
    );
}

/** Quality used when the request names none. */
export const DEFAULT_QUALITY = 90;

export interface DisplayImage {
  data: Uint8Array;
  width: number;
  height: number;
  channels: 1 | 3;
}

/** 8-bit display pixels of a decoded frame, through the pipeline its photometric calls for. */
export function toDisplay(
  frame: DecodedFrame,
  dataset: DicomJsonDataset,
  params: Pick<RenderParams, 'window'> = {},
  lutData?: LutData,
): DisplayImage {
  return displayOf(frame, dataset, params, lutData).image;
}

export interface DisplayResult {
  image: DisplayImage;
  /** The grayscale frame the image was windowed from, when it can be kept (gray-frame.ts). */
  gray?: GrayFrame | undefined;
}

/** As toDisplay, also giving the GrayFrame behind a grayscale image, to window again later. */
export function displayOf(
  frame: DecodedFrame,
  dataset: DicomJsonDataset,
  params: Pick<RenderParams, 'window'> = {},
  lutData?: LutData,
): DisplayResult {
  const { rows, columns, photometricInterpretation: photometric } = frame.description;
  const size = { width: columns, height: rows };
  if (photometric === 'MONOCHROME1' || photometric === 'MONOCHROME2') {
    if (frame.description.samplesPerPixel !== 1)
      throw new NotAnImageError(`${photometric} with more than one sample per pixel`);
    const gray = grayFrameOf(frame, dataset);
    if (gray) return { image: windowedImage(gray, params.window), gray };
    const data = grayscaleToDisplay(frame, {
      rescale: rescaleOf(dataset),
      window: params.window ?? windowOf(dataset),
      invert: photometric === 'MONOCHROME1',
    });
    return { image: { ...size, data, channels: 1 } };
  }
  if (photometric === 'PALETTE COLOR')
    return {
      image: { ...size, data: paletteToRgb(frame, paletteOf(dataset, lutData)), channels: 3 },
    };
  return { image: { ...size, data: colourToRgb(frame), channels: 3 } };
}

/** The display image of a kept grayscale frame under `window` (else the frame's default). */
export function windowedImage(gray: GrayFrame, window?: VoiWindow): DisplayImage {
  return { width: gray.width, height: gray.height, data: windowGray(gray, window), channels: 1 };
}

/**
 * sharp (libvips) loads on the first render, not at start-up: ~30 MB of resident memory that a
 * server which never renders (an archive fed by modalities, read by viewers fetching frames)
 * does not pay.
 */
type SharpFactory = (input: Uint8Array, options: SharpOptions) => Sharp;
let sharpModule: Promise<SharpFactory> | undefined;
function loadSharp(): Promise<SharpFactory> {
  sharpModule ??= import('sharp').then((m) => {
    // libvips' operation cache only pays when the same operation runs on the same input; every
    // render here starts from a new raw buffer, so it costs a lookup (≈0.1 ms of a 1.3 ms 512²
    // JPEG encode) and up to 50 MB of memory for nothing. Repeats are answered by our caches.
    m.default.cache(false);
    return m.default;
  });
  return sharpModule;
}

export interface EncodeOptions {
  mediaType: RenderedMediaType;
  viewport?: Viewport | undefined;
  quality?: number | undefined;
}

/** Crops to the viewport region, scales to fit inside the viewport (aspect kept), encodes. */
export async function encodeImage(image: DisplayImage, options: EncodeOptions): Promise<Buffer> {
  const sharp = await loadSharp();
  let pipeline: Sharp = sharp(image.data, {
    raw: { width: image.width, height: image.height, channels: image.channels },
  });
  const viewport = options.viewport;
  if (viewport) {
    const region = viewport.region;
    if (region) {
      if (region.x + region.width > image.width || region.y + region.height > image.height)
        throw new RenderParameterError(
          `viewport region lies outside the ${image.width}x${image.height} frame`,
        );
      pipeline = pipeline.extract({
        left: region.x,
        top: region.y,
        width: region.width,
        height: region.height,
      });
    }
    // PS3.18 §8.3.5.1.3: the region is scaled to the viewport, keeping its aspect ratio.
    pipeline = pipeline.resize(viewport.width, viewport.height, { fit: 'inside' });
  }
  const quality = options.quality ?? DEFAULT_QUALITY;
  switch (options.mediaType) {
    case 'image/jpeg':
      // No Huffman-table optimisation (sharp's default is on): that second pass costs ≈25% of
      // the encode of a 512² frame for a few percent of size (bench/RESULTS.md, issue #13),
      // and a viewer dragging the window waits for each image.
      return pipeline.jpeg({ quality, optimiseCoding: false }).toBuffer();
    case 'image/png':
      return pipeline.png().toBuffer();
    case 'image/webp':
      return pipeline.webp({ quality }).toBuffer();
  }
}

/**
 * The CPU-bound imaging work that runs on worker threads (imaging-pool.ts): decoding a frame,
 * decoding plus the grayscale/colour pipeline to 8-bit display pixels, and windowing a kept
 * grayscale frame (gray-frame.ts). Plain data in and out (structured clone), byte buffers
 * transferred rather than copied, a GrayFrame's values shared (SharedArrayBuffer).
 */
import type { DicomJsonDataset } from '../dicom/json/dicom-json.js';
import { decodeFrame, type DecodedFrame } from './decode.js';
import type { LutData } from './photometric.js';
import type { PixelDescription } from './pixel-description.js';
import type { GrayFrame } from './gray-frame.js';
import {
  displayOf,
  encodeImage,
  windowedImage,
  type DisplayImage,
  type DisplayResult,
  type EncodeOptions,
} from './render.js';
import type { VoiWindow } from './voi-lut.js';

interface FrameInput {
  /** The stored frame bytes (a native range or the concatenated fragments). */
  frame: Uint8Array;
  transferSyntaxUid: string;
  description: PixelDescription;
}

export interface DecodeTask extends FrameInput {
  op: 'decode';
}

export interface DisplayTask extends FrameInput {
  op: 'display';
  /** The frame's view of the metadata: rescale, window, palette descriptors. */
  dataset: DicomJsonDataset;
  window?: VoiWindow | undefined;
  lutData?: LutData | undefined;
}

/** A kept grayscale frame under a new window: no frame bytes, no decode. */
export interface WindowTask {
  op: 'window';
  gray: GrayFrame;
  window?: VoiWindow | undefined;
}

/**
 * A kept grayscale frame under a new window, encoded here too: the image never crosses to the
 * main thread, whose only work is to post the task and take the encoded bytes.
 */
export interface EncodeGrayTask {
  op: 'encode-gray';
  gray: GrayFrame;
  window?: VoiWindow | undefined;
  encode: EncodeOptions;
}

export type ImagingTask = DecodeTask | DisplayTask | WindowTask | EncodeGrayTask;

export interface TaskResults {
  decode: DecodedFrame;
  display: DisplayResult;
  window: DisplayImage;
  'encode-gray': Uint8Array;
}

export type TaskResult = TaskResults[keyof TaskResults];

export async function runTask(task: ImagingTask): Promise<TaskResult> {
  if (task.op === 'window') return windowedImage(task.gray, task.window);
  if (task.op === 'encode-gray')
    return encodeImage(windowedImage(task.gray, task.window), task.encode);
  const decoded = await decodeFrame(task.frame, task.transferSyntaxUid, task.description);
  if (task.op === 'decode') return decoded;
  return displayOf(decoded, task.dataset, { window: task.window }, task.lutData);
}

/** The pixel buffers of a result, to transfer (a GrayFrame's values are shared, not moved). */
export function resultBuffers(result: TaskResult): ArrayBuffer[] {
  // Encoded bytes are copied: sharp's output buffers are external memory, not transferable.
  if (result instanceof Uint8Array) return [];
  return transferable('image' in result ? result.image.data : result.data);
}

/**
 * Buffers to move rather than copy: only an ArrayBuffer a view covers whole (a view into
 * Node's shared Buffer pool, or into a larger buffer, must not be detached under its owner).
 */
export function transferable(...views: (Uint8Array | undefined)[]): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  for (const view of views) {
    const buffer = view?.buffer;
    if (
      buffer instanceof ArrayBuffer &&
      view?.byteOffset === 0 &&
      view.byteLength === buffer.byteLength
    )
      out.add(buffer);
  }
  return [...out];
}

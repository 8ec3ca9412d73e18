/**
 * The CPU-bound imaging work that runs on worker threads (imaging-pool.ts): decoding a frame,
 * and decoding plus the grayscale/colour pipeline to 8-bit display pixels. Plain data in and
 * out (structured clone), byte buffers transferred rather than copied.
 */
import type { DicomJsonDataset } from '../dicom/json/dicom-json.js';
import { decodeFrame, type DecodedFrame } from './decode.js';
import type { LutData } from './photometric.js';
import type { PixelDescription } from './pixel-description.js';
import { toDisplay, type DisplayImage } from './render.js';
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

export type ImagingTask = DecodeTask | DisplayTask;

export interface TaskResults {
  decode: DecodedFrame;
  display: DisplayImage;
}

export async function runTask(task: ImagingTask): Promise<DecodedFrame | DisplayImage> {
  const decoded = await decodeFrame(task.frame, task.transferSyntaxUid, task.description);
  if (task.op === 'decode') return decoded;
  return toDisplay(decoded, task.dataset, { window: task.window }, task.lutData);
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

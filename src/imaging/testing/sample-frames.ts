/**
 * Test support: the stored bytes of each frame of a sample file, as WADO's FrameSource would
 * read them (native byte range, or an encapsulated frame's fragments concatenated).
 * Not a test file; imported by unit tests and the bench only.
 */
import { inflateRawSync } from 'node:zlib';
import { encapsulatedFrameRanges } from '../../dicom/frames/encapsulated.js';
import { nativeFrameRange } from '../../dicom/frames/native.js';
import type { DicomJsonDataset } from '../../dicom/json/dicom-json.js';
import { scanPart10 } from '../../dicom/part10/scan.js';
import { chunked, readSample } from '../../dicom/testing/samples.js';
import { pixelDescriptionOf, type PixelDescription } from '../pixel-description.js';

export interface SampleFrames {
  dataset: DicomJsonDataset;
  transferSyntaxUid: string;
  description: PixelDescription;
  frames: Uint8Array[];
}

export async function sampleFrames(file: string): Promise<SampleFrames> {
  const bytes = readSample(file);
  const scan = await scanPart10(chunked(bytes));
  const description = pixelDescriptionOf(scan.dataset);
  const pixelData = scan.pixelData;
  if (!pixelData) throw new Error(`${file} has no pixel data`);
  // Deflated datasets: offsets index the inflated bytes (see ScanResult.deflated).
  const source = scan.deflated
    ? concat([
        bytes.subarray(0, scan.datasetOffset),
        inflateRawSync(bytes.subarray(scan.datasetOffset)),
      ])
    : bytes;
  const frames: Uint8Array[] = [];
  if (pixelData.kind === 'native') {
    for (let i = 0; i < description.numberOfFrames; i++) {
      const range = nativeFrameRange(pixelData, i, description);
      frames.push(source.subarray(range.offset, range.offset + range.length));
    }
  } else {
    for (const ranges of encapsulatedFrameRanges(pixelData, description.numberOfFrames))
      frames.push(concat(ranges.map((r) => source.subarray(r.offset, r.offset + r.length))));
  }
  return { dataset: scan.dataset, transferSyntaxUid: scan.transferSyntaxUid, description, frames };
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

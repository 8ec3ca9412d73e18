/**
 * VOI LUT (PS3.3 C.11.2): modality values → display values by a window. The three window
 * functions are those of C.11.2.1.2 (LINEAR, LINEAR_EXACT, SIGMOID), which PS3.18 §8.3.5.1.4
 * names `linear`, `linear-exact` and `sigmoid` in the `window` query parameter.
 */
import { getNumber, getString, type DicomJsonDataset } from '../dicom/json/dicom-json.js';

export type WindowFunction = 'LINEAR' | 'LINEAR_EXACT' | 'SIGMOID';

export interface VoiWindow {
  center: number;
  width: number;
  function: WindowFunction;
}

/** Display range: 8-bit output. */
const Y_MAX = 255;

/**
 * The window recorded in the dataset: the first Window Center (0028,1050) / Width (0028,1051)
 * pair and VOI LUT Function (0028,1056), PS3.3 C.11.2.1.2. Undefined when absent or unusable.
 */
export function windowOf(dataset: DicomJsonDataset): VoiWindow | undefined {
  const center = getNumber(dataset, '00281050');
  const width = getNumber(dataset, '00281051');
  if (center === undefined || width === undefined) return undefined;
  const fn = getString(dataset, '00281056')?.trim().toUpperCase();
  const windowFunction: WindowFunction = fn === 'LINEAR_EXACT' || fn === 'SIGMOID' ? fn : 'LINEAR';
  // C.11.2.1.2.1: LINEAR needs width ≥ 1; the others width > 0.
  if (windowFunction === 'LINEAR' ? width < 1 : width <= 0) return undefined;
  return { center, width, function: windowFunction };
}

/** A window spanning [min, max] of the frame's modality values, for images without one. */
export function windowOfRange(min: number, max: number): VoiWindow {
  return { center: (min + max) / 2, width: Math.max(max - min, 1), function: 'LINEAR_EXACT' };
}

/** The window function as x (modality value) → 0…255 (not yet rounded), PS3.3 C.11.2.1.2. */
export function voiFunction(window: VoiWindow): (x: number) => number {
  const { center: c, width: w } = window;
  switch (window.function) {
    case 'LINEAR': {
      // C.11.2.1.2.1
      const low = c - 0.5 - (w - 1) / 2;
      const high = c - 0.5 + (w - 1) / 2;
      return (x) => {
        if (x <= low) return 0;
        if (x > high) return Y_MAX;
        return ((x - (c - 0.5)) / (w - 1) + 0.5) * Y_MAX;
      };
    }
    case 'LINEAR_EXACT': {
      // C.11.2.1.3.2
      const low = c - w / 2;
      const high = c + w / 2;
      return (x) => {
        if (x <= low) return 0;
        if (x > high) return Y_MAX;
        return ((x - c) / w + 0.5) * Y_MAX;
      };
    }
    case 'SIGMOID':
      // C.11.2.1.3.1
      return (x) => Y_MAX / (1 + Math.exp((-4 * (x - c)) / w));
  }
}

/**
 * Enhanced multi-frame objects (Enhanced CT/MR/XA…, PS3.3 C.7.6.16) keep the window and the
 * rescale of each frame in functional groups, not at the top level: Frame VOI LUT (0028,9132,
 * C.7.6.16.2.10) and Pixel Value Transformation (0028,9145, C.7.6.16.2.9), in the Shared
 * (5200,9229) or Per-Frame (5200,9230) Functional Groups Sequence.
 */
import { getItems, type DicomJsonDataset } from '../dicom/json/dicom-json.js';

const SharedFunctionalGroups = '52009229';
const PerFrameFunctionalGroups = '52009230';
const FrameVoiLut = '00289132';
const PixelValueTransformation = '00289145';

/** Window Center/Width/Explanation/VOI LUT Function and Rescale Intercept/Slope/Type. */
const FRAME_TAGS = [
  '00281050',
  '00281051',
  '00281055',
  '00281056',
  '00281052',
  '00281053',
  '00281054',
];

function copyFrom(group: DicomJsonDataset | undefined, into: DicomJsonDataset): void {
  if (!group) return;
  for (const sequence of [FrameVoiLut, PixelValueTransformation]) {
    const item = getItems(group, sequence)[0];
    if (!item) continue;
    for (const tag of FRAME_TAGS) {
      const element = item[tag];
      if (element) into[tag] = element;
    }
  }
}

/**
 * The dataset as frame `frameNumber` (1-based) sees it: top-level attributes overlaid with the
 * window and rescale of the shared, then the per-frame functional groups (per-frame wins,
 * C.7.6.16.1.1). The input is not modified; datasets without functional groups come back as is.
 */
export function frameView(dataset: DicomJsonDataset, frameNumber: number): DicomJsonDataset {
  const shared = getItems(dataset, SharedFunctionalGroups)[0];
  const perFrame = getItems(dataset, PerFrameFunctionalGroups)[frameNumber - 1];
  if (!shared && !perFrame) return dataset;
  const view: DicomJsonDataset = { ...dataset };
  copyFrom(shared, view);
  copyFrom(perFrame, view);
  return view;
}

import { describe, expect, it } from 'vitest';
import type { DicomJsonDataset } from '../dicom/json/dicom-json.js';
import { frameView } from './functional-groups.js';
import { rescaleOf } from './modality-lut.js';
import { windowOf } from './voi-lut.js';

const ds = (n: number): { vr: string; Value: number[] } => ({ vr: 'DS', Value: [n] });
const sq = (...items: DicomJsonDataset[]) => ({ vr: 'SQ', Value: items });

describe('frameView', () => {
  const enhanced: DicomJsonDataset = {
    '52009229': sq({ '00289145': sq({ '00281052': ds(-1024), '00281053': ds(1) }) }),
    '52009230': sq(
      { '00289132': sq({ '00281050': ds(40), '00281051': ds(400) }) },
      { '00289132': sq({ '00281050': ds(300), '00281051': ds(1500) }) },
    ),
  };

  it('takes the rescale from the shared groups and the window of the frame asked for', () => {
    expect(rescaleOf(frameView(enhanced, 2))).toEqual({ slope: 1, intercept: -1024 });
    expect(windowOf(frameView(enhanced, 1))).toMatchObject({ center: 40, width: 400 });
    expect(windowOf(frameView(enhanced, 2))).toMatchObject({ center: 300, width: 1500 });
    expect(windowOf(frameView(enhanced, 3))).toBeUndefined();
  });

  it('returns a dataset without functional groups unchanged', () => {
    const plain = { '00281050': ds(1) };
    expect(frameView(plain, 1)).toBe(plain);
  });
});

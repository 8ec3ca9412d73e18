import { describe, expect, it } from 'vitest';
import { FailureReason, WarningReason, type StoreOutcome } from '../services/outcomes.js';
import { stowResponse } from './stow-response.js';

const urls = {
  study: (s: string) => `https://pacs/dicom-web/studies/${s}`,
  instance: (s: string, se: string, i: string) =>
    `https://pacs/dicom-web/studies/${s}/series/${se}/instances/${i}`,
};
const stored = (sop: string, study = '1.2.3', warning?: WarningReason): StoreOutcome => ({
  ok: true,
  result: 'created',
  warning,
  studyInstanceUid: study,
  seriesInstanceUid: '1.2.3.4',
  sopInstanceUid: sop,
  sopClassUid: '1.2.840.10008.5.1.4.1.1.2',
});
const failed = (sop?: string): StoreOutcome => ({
  ok: false,
  reason: FailureReason.CannotUnderstand,
  detail: 'test',
  sopInstanceUid: sop,
  sopClassUid: sop ? '1.2.840.10008.5.1.4.1.1.2' : undefined,
});

describe('stowResponse', () => {
  it('200 with ReferencedSOPSequence and the study RetrieveURL when all are stored', () => {
    const response = stowResponse([stored('1.1'), stored('1.2')], urls);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      '00081190': { vr: 'UR', Value: ['https://pacs/dicom-web/studies/1.2.3'] },
      '00081199': {
        vr: 'SQ',
        Value: ['1.1', '1.2'].map((sop) => ({
          '00081150': { vr: 'UI', Value: ['1.2.840.10008.5.1.4.1.1.2'] },
          '00081155': { vr: 'UI', Value: [sop] },
          '00081190': {
            vr: 'UR',
            Value: [`https://pacs/dicom-web/studies/1.2.3/series/1.2.3.4/instances/${sop}`],
          },
        })),
      },
    });
  });

  it('202 with both sequences when some failed', () => {
    const response = stowResponse([stored('1.1'), failed('1.9')], urls);
    expect(response.status).toBe(202);
    expect(response.body['00081198']).toEqual({
      vr: 'SQ',
      Value: [
        {
          '00081150': { vr: 'UI', Value: ['1.2.840.10008.5.1.4.1.1.2'] },
          '00081155': { vr: 'UI', Value: ['1.9'] },
          '00081197': { vr: 'US', Value: [0xc000] },
        },
      ],
    });
  });

  it('202 with the WarningReason in the item when an instance was stored with a warning', () => {
    const warned = stored('1.1', '1.2.3', WarningReason.DataSetDoesNotMatchSopClass);
    const response = stowResponse([stored('1.2'), warned], urls);
    expect(response.status).toBe(202);
    const items = (response.body['00081199'] as { Value: Record<string, unknown>[] }).Value;
    expect(items[0]?.['00081196']).toBeUndefined();
    expect(items[1]?.['00081196']).toEqual({ vr: 'US', Value: [0xb007] });
    expect(response.body['00081198']).toBeUndefined();
  });

  it('409 with empty UID elements for a part that was never understood', () => {
    const response = stowResponse([failed()], urls);
    expect(response.status).toBe(409);
    expect(response.body['00081190']).toEqual({ vr: 'UR' });
    expect(response.body['00081199']).toBeUndefined();
    expect((response.body['00081198'] as { Value: unknown[] }).Value[0]).toEqual({
      '00081150': { vr: 'UI' },
      '00081155': { vr: 'UI' },
      '00081197': { vr: 'US', Value: [0xc000] },
    });
  });

  it('leaves the study RetrieveURL empty when instances of several studies were stored', () => {
    const response = stowResponse([stored('1.1', '9.1'), stored('1.2', '9.2')], urls);
    expect(response.body['00081190']).toEqual({ vr: 'UR' });
  });
});

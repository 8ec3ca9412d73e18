import { describe, expect, it } from 'vitest';
import { levelOfTag } from '../index/qido/attributes.js';
import { instanceResult, seriesResult, studyResult } from './search-results.js';

const base = {
  all: false,
  tags: new Set<string>(),
  retrieveBase: 'https://pacs.example/dicom-web',
};

describe('QIDO-RS result datasets (PS3.18 Tables 10.6.3-3..5)', () => {
  it('a study: stored required attributes, empty R ones, computed ones and RetrieveURL', () => {
    const ds = studyResult(
      {
        studyInstanceUid: '1.2',
        attributes: {
          '0020000D': { vr: 'UI', Value: ['1.2'] },
          '00100020': { vr: 'LO', Value: ['P'] },
          '00101010': { vr: 'AS', Value: ['050Y'] },
        },
        seriesCount: 2,
        instanceCount: 7,
        modalities: ['CT', 'SR'],
        sopClasses: null,
      },
      base,
    );
    expect(ds['00100020']).toEqual({ vr: 'LO', Value: ['P'] });
    expect(ds['00080020']).toEqual({ vr: 'DA' }); // R, absent → zero length
    expect(ds['00101010']).toBeUndefined(); // not asked for
    expect(ds['00080201']).toBeUndefined(); // C, absent → left out
    expect(ds['00080061']).toEqual({ vr: 'CS', Value: ['CT', 'SR'] });
    expect(ds['00201206']).toEqual({ vr: 'IS', Value: [2] });
    expect(ds['00201208']).toEqual({ vr: 'IS', Value: [7] });
    expect(ds['00081190']).toEqual({
      vr: 'UR',
      Value: ['https://pacs.example/dicom-web/studies/1.2'],
    });
    expect(ds['00080062']).toBeUndefined();
    const asked = studyResult(
      {
        studyInstanceUid: '1.2',
        attributes: { '00101010': { vr: 'AS', Value: ['050Y'] } },
        seriesCount: 0,
        instanceCount: 0,
        modalities: null,
        sopClasses: ['1.2.3'],
      },
      { ...base, tags: new Set(['00101010']) },
    );
    expect(asked['00101010']).toEqual({ vr: 'AS', Value: ['050Y'] });
    expect(asked['00080062']).toEqual({ vr: 'UI', Value: ['1.2.3'] });
    // No modality in any series: absent, not zero-length (OHIF's study list needs a Value).
    expect(asked).not.toHaveProperty('00080061');
  });

  it('a series across studies carries the study attributes, not the other way round', () => {
    const ds = seriesResult(
      {
        studyInstanceUid: '1.2',
        seriesInstanceUid: '1.2.3',
        attributes: { '00080060': { vr: 'CS', Value: ['MR'] } },
        studyAttributes: { '00100020': { vr: 'LO', Value: ['P'] } },
        instanceCount: 4,
      },
      base,
      (tag) => levelOfTag(tag) === 'study',
    );
    expect(ds['00100020']).toEqual({ vr: 'LO', Value: ['P'] });
    expect(ds['00080060']).toEqual({ vr: 'CS', Value: ['MR'] });
    expect(ds['00200011']).toEqual({ vr: 'IS' });
    expect(ds['00201209']).toEqual({ vr: 'IS', Value: [4] });
    expect(ds['00081190']?.Value).toEqual([
      'https://pacs.example/dicom-web/studies/1.2/series/1.2.3',
    ]);
  });

  it('an instance with includefield=all: stored metadata without bulk data', () => {
    const ds = instanceResult(
      {
        studyInstanceUid: '1.2',
        seriesInstanceUid: '1.2.3',
        sopInstanceUid: '1.2.3.4',
        sopClassUid: '1.2.840.10008.5.1.4.1.1.2',
        instanceNumber: 3,
        rows: 512,
        columns: 512,
        bitsAllocated: 16,
        numberOfFrames: null,
        metadata: {
          '00280004': { vr: 'CS', Value: ['MONOCHROME2'] },
          '7FE00010': { vr: 'OW', BulkDataURI: 'bulk/7FE00010' },
        },
        seriesAttributes: null,
        studyAttributes: null,
      },
      { ...base, all: true },
      levelOfTag,
    );
    expect(ds['00280004']).toEqual({ vr: 'CS', Value: ['MONOCHROME2'] });
    expect(ds['7FE00010']).toBeUndefined();
    expect(ds['00200013']).toEqual({ vr: 'IS', Value: [3] });
    expect(ds['00280008']).toBeUndefined();
    expect(ds['00081190']?.Value).toEqual([
      'https://pacs.example/dicom-web/studies/1.2/series/1.2.3/instances/1.2.3.4',
    ]);
  });
});

import { describe, expect, it } from 'vitest';
import {
  dictionaryVr,
  implicitVrOf,
  isPrivateCreatorTag,
  keywordOf,
  tagOf,
  tagOfKeyword,
} from './tag.js';

describe('tag', () => {
  it('formats group/element as uppercase 8-hex', () => {
    expect(tagOf(0x0020, 0x000d)).toBe('0020000D');
    expect(tagOf(0xfffe, 0xe0dd)).toBe('FFFEE0DD');
  });

  it('maps keywords and tags both ways', () => {
    expect(tagOfKeyword('StudyInstanceUID')).toBe('0020000D');
    expect(keywordOf('00100010')).toBe('PatientName');
    expect(keywordOf('00091001')).toBeUndefined();
    expect(tagOfKeyword('NoSuchKeyword')).toBeUndefined();
  });

  it('resolves repeating overlay groups to their dictionary entry', () => {
    expect(keywordOf('60023000')).toBe('OverlayData');
    expect(implicitVrOf('60023000')).toBe('OW');
  });

  it('gives implicit VRs: dictionary, LO for private creators, UL for group lengths, UN for the unknown', () => {
    expect(implicitVrOf('00100010')).toBe('PN');
    expect(implicitVrOf('00290010')).toBe('LO');
    expect(implicitVrOf('00291010')).toBe('UN');
    expect(implicitVrOf('00080000')).toBe('UL');
    expect(implicitVrOf('00190000')).toBe('UL');
    expect(implicitVrOf('7FE00010')).toBe('OW');
    expect(implicitVrOf('00280106', 1)).toBe('SS');
    expect(implicitVrOf('00280106', 0)).toBe('US');
    expect(dictionaryVr('00280106')).toBe('xs');
  });

  it('knows private creator elements', () => {
    expect(isPrivateCreatorTag('00290010')).toBe(true);
    expect(isPrivateCreatorTag('002900FF')).toBe(true);
    expect(isPrivateCreatorTag('00291010')).toBe(false);
    expect(isPrivateCreatorTag('00280010')).toBe(false);
  });
});

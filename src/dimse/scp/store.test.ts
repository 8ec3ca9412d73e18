import { describe, expect, it } from 'vitest';
import { isStorageSopClass, storageSyntax } from './store.js';

const EXPLICIT = '1.2.840.10008.1.2.1';
const IMPLICIT = '1.2.840.10008.1.2';
const JPEG = '1.2.840.10008.1.2.4.50';

describe('storage negotiation', () => {
  it('prefers Explicit VR Little Endian among uncompressed syntaxes', () => {
    expect(storageSyntax([IMPLICIT, EXPLICIT])).toBe(EXPLICIT);
    expect(storageSyntax([IMPLICIT])).toBe(IMPLICIT);
  });

  it('accepts a compressed syntax proposed first as-is', () => {
    expect(storageSyntax([JPEG, EXPLICIT])).toBe(JPEG);
    expect(storageSyntax(['1.2.3.4', EXPLICIT])).toBe(EXPLICIT);
    expect(storageSyntax(['1.2.3.4'])).toBeUndefined();
  });

  it('answers storage SOP classes only', () => {
    expect(isStorageSopClass('1.2.840.10008.5.1.4.1.1.2')).toBe(true);
    expect(isStorageSopClass('1.2.840.10008.5.1.4.38.1')).toBe(true);
    expect(isStorageSopClass('1.2.840.10008.5.1.4.1.2.2.1')).toBe(false);
    expect(isStorageSopClass('1.2.840.10008.1.1')).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import {
  allTransferSyntaxes,
  assumedTransferSyntax,
  findTransferSyntax,
  isLossyTransferSyntax,
} from './transfer-syntax.js';
import { TransferSyntax } from './uid.js';

describe('transfer syntax registry', () => {
  it('describes the uncompressed syntaxes', () => {
    expect(findTransferSyntax(TransferSyntax.ImplicitVRLittleEndian)).toMatchObject({
      explicitVr: false,
      littleEndian: true,
      encapsulated: false,
    });
    expect(findTransferSyntax(TransferSyntax.ExplicitVRBigEndian)).toMatchObject({
      explicitVr: true,
      littleEndian: false,
    });
    expect(findTransferSyntax(TransferSyntax.DeflatedExplicitVRLittleEndian)).toMatchObject({
      deflated: true,
      encapsulated: false,
    });
  });

  it('marks compressed syntaxes encapsulated with their frame media type', () => {
    expect(findTransferSyntax(TransferSyntax.JPEGBaseline8Bit)).toMatchObject({
      encapsulated: true,
      frameMediaType: 'image/jpeg',
    });
    expect(findTransferSyntax(TransferSyntax.HTJ2K)).toMatchObject({
      encapsulated: true,
      frameMediaType: 'image/jphc',
    });
    expect(findTransferSyntax(TransferSyntax.RLELossless)?.frameMediaType).toBe('image/dicom-rle');
    expect(findTransferSyntax('1.2.840.10008.1.2.4.107')?.frameMediaType).toBe('video/H265');
    expect(findTransferSyntax('1.2.840.10008.1.2.4.112')?.frameMediaType).toBe('image/jxl');
    expect(findTransferSyntax(TransferSyntax.DeflatedImageFrameCompression)?.encapsulated).toBe(
      true,
    );
  });

  it('marks the 19 lossy syntaxes lossy, and no lossless, uncompressed or unknown one', () => {
    const lossy = allTransferSyntaxes().filter((ts) => ts.lossy);
    expect(lossy).toHaveLength(19);
    for (const ts of lossy) expect(ts.encapsulated).toBe(true);
    expect(isLossyTransferSyntax(TransferSyntax.JPEGBaseline8Bit)).toBe(true);
    expect(isLossyTransferSyntax(TransferSyntax.JPEGLSNearLossless)).toBe(true);
    expect(isLossyTransferSyntax(TransferSyntax.JPEG2000)).toBe(true);
    expect(isLossyTransferSyntax(TransferSyntax.JPEG2000Lossless)).toBe(false);
    expect(isLossyTransferSyntax(TransferSyntax.JPEGLossless)).toBe(false);
    expect(isLossyTransferSyntax(TransferSyntax.RLELossless)).toBe(false);
    expect(isLossyTransferSyntax(TransferSyntax.ExplicitVRLittleEndian)).toBe(false);
    expect(isLossyTransferSyntax('1.2.3.4')).toBe(false);
  });

  it('reads every encapsulated syntax as explicit VR little endian (PS3.5 A.4)', () => {
    for (const ts of allTransferSyntaxes().filter((t) => t.encapsulated)) {
      expect(ts).toMatchObject({ explicitVr: true, littleEndian: true, deflated: false });
    }
  });

  it('assumes explicit VR LE for an unknown UID', () => {
    expect(findTransferSyntax('1.2.3')).toBeUndefined();
    expect(assumedTransferSyntax('1.2.3')).toMatchObject({
      uid: '1.2.3',
      explicitVr: true,
      littleEndian: true,
    });
  });
});

/**
 * Transfer syntax registry, PS3.6 Table A-1 and PS3.5 §10 / Annex A. Media types of frames
 * per PS3.18 §8.7.3 (Table 8.7.3-5 for image/video frame media types).
 */

export interface TransferSyntaxInfo {
  uid: string;
  name: string;
  explicitVr: boolean;
  littleEndian: boolean;
  /** Pixel Data is a sequence of fragments (PS3.5 §A.4). */
  encapsulated: boolean;
  /** The dataset after the file meta is deflated (PS3.5 §A.5). */
  deflated: boolean;
  /** Media type of a frame / bulk pixel data in this syntax (PS3.18 §8.7.3), when defined. */
  frameMediaType?: string;
  /** The pixel data lost information when it was compressed (see LOSSY_SUFFIXES). */
  lossy?: boolean;
  retired?: boolean;
}

const OCTETS = 'application/octet-stream';

type Row = [
  suffix: string,
  name: string,
  encapsulated: boolean,
  mediaType?: string,
  retired?: boolean,
];

/** Encapsulated (and JPIP / RTV) syntaxes: all Explicit VR Little Endian (PS3.5 §A.4). */
const EXPLICIT_LE_ROWS: Row[] = [
  ['1.2.1', 'Explicit VR Little Endian', false, OCTETS],
  ['1.2.1.98', 'Encapsulated Uncompressed Explicit VR Little Endian', true, OCTETS],
  ['1.2.4.50', 'JPEG Baseline (Process 1)', true, 'image/jpeg'],
  ['1.2.4.51', 'JPEG Extended (Process 2 & 4)', true, 'image/jpeg'],
  ['1.2.4.52', 'JPEG Extended (Process 3 & 5)', true, 'image/jpeg', true],
  [
    '1.2.4.53',
    'JPEG Spectral Selection, Non-Hierarchical (Process 6 & 8)',
    true,
    'image/jpeg',
    true,
  ],
  [
    '1.2.4.54',
    'JPEG Spectral Selection, Non-Hierarchical (Process 7 & 9)',
    true,
    'image/jpeg',
    true,
  ],
  [
    '1.2.4.55',
    'JPEG Full Progression, Non-Hierarchical (Process 10 & 12)',
    true,
    'image/jpeg',
    true,
  ],
  [
    '1.2.4.56',
    'JPEG Full Progression, Non-Hierarchical (Process 11 & 13)',
    true,
    'image/jpeg',
    true,
  ],
  ['1.2.4.57', 'JPEG Lossless, Non-Hierarchical (Process 14)', true, 'image/jpeg'],
  ['1.2.4.58', 'JPEG Lossless, Non-Hierarchical (Process 15)', true, 'image/jpeg', true],
  ['1.2.4.59', 'JPEG Extended, Hierarchical (Process 16 & 18)', true, 'image/jpeg', true],
  ['1.2.4.60', 'JPEG Extended, Hierarchical (Process 17 & 19)', true, 'image/jpeg', true],
  ['1.2.4.61', 'JPEG Spectral Selection, Hierarchical (Process 20 & 22)', true, 'image/jpeg', true],
  ['1.2.4.62', 'JPEG Spectral Selection, Hierarchical (Process 21 & 23)', true, 'image/jpeg', true],
  ['1.2.4.63', 'JPEG Full Progression, Hierarchical (Process 24 & 26)', true, 'image/jpeg', true],
  ['1.2.4.64', 'JPEG Full Progression, Hierarchical (Process 25 & 27)', true, 'image/jpeg', true],
  ['1.2.4.65', 'JPEG Lossless, Hierarchical (Process 28)', true, 'image/jpeg', true],
  ['1.2.4.66', 'JPEG Lossless, Hierarchical (Process 29)', true, 'image/jpeg', true],
  [
    '1.2.4.70',
    'JPEG Lossless, Non-Hierarchical, First-Order Prediction (Process 14, SV1)',
    true,
    'image/jpeg',
  ],
  ['1.2.4.80', 'JPEG-LS Lossless Image Compression', true, 'image/jls'],
  ['1.2.4.81', 'JPEG-LS Lossy (Near-Lossless) Image Compression', true, 'image/jls'],
  ['1.2.4.90', 'JPEG 2000 Image Compression (Lossless Only)', true, 'image/jp2'],
  ['1.2.4.91', 'JPEG 2000 Image Compression', true, 'image/jp2'],
  [
    '1.2.4.92',
    'JPEG 2000 Part 2 Multi-component Image Compression (Lossless Only)',
    true,
    'image/jpx',
  ],
  ['1.2.4.93', 'JPEG 2000 Part 2 Multi-component Image Compression', true, 'image/jpx'],
  ['1.2.4.94', 'JPIP Referenced', false],
  ['1.2.4.100', 'MPEG2 Main Profile / Main Level', true, 'video/mpeg2'],
  ['1.2.4.100.1', 'Fragmentable MPEG2 Main Profile / Main Level', true, 'video/mpeg2'],
  ['1.2.4.101', 'MPEG2 Main Profile / High Level', true, 'video/mpeg2'],
  ['1.2.4.101.1', 'Fragmentable MPEG2 Main Profile / High Level', true, 'video/mpeg2'],
  ['1.2.4.102', 'MPEG-4 AVC/H.264 High Profile / Level 4.1', true, 'video/mp4'],
  ['1.2.4.102.1', 'Fragmentable MPEG-4 AVC/H.264 High Profile / Level 4.1', true, 'video/mp4'],
  ['1.2.4.103', 'MPEG-4 AVC/H.264 BD-compatible High Profile / Level 4.1', true, 'video/mp4'],
  [
    '1.2.4.103.1',
    'Fragmentable MPEG-4 AVC/H.264 BD-compatible High Profile / Level 4.1',
    true,
    'video/mp4',
  ],
  ['1.2.4.104', 'MPEG-4 AVC/H.264 High Profile / Level 4.2 For 2D Video', true, 'video/mp4'],
  [
    '1.2.4.104.1',
    'Fragmentable MPEG-4 AVC/H.264 High Profile / Level 4.2 For 2D Video',
    true,
    'video/mp4',
  ],
  ['1.2.4.105', 'MPEG-4 AVC/H.264 High Profile / Level 4.2 For 3D Video', true, 'video/mp4'],
  [
    '1.2.4.105.1',
    'Fragmentable MPEG-4 AVC/H.264 High Profile / Level 4.2 For 3D Video',
    true,
    'video/mp4',
  ],
  ['1.2.4.106', 'MPEG-4 AVC/H.264 Stereo High Profile / Level 4.2', true, 'video/mp4'],
  [
    '1.2.4.106.1',
    'Fragmentable MPEG-4 AVC/H.264 Stereo High Profile / Level 4.2',
    true,
    'video/mp4',
  ],
  ['1.2.4.107', 'HEVC/H.265 Main Profile / Level 5.1', true, 'video/H265'],
  ['1.2.4.108', 'HEVC/H.265 Main 10 Profile / Level 5.1', true, 'video/H265'],
  ['1.2.4.110', 'JPEG XL Lossless', true, 'image/jxl'],
  ['1.2.4.111', 'JPEG XL JPEG Recompression', true, 'image/jxl'],
  ['1.2.4.112', 'JPEG XL', true, 'image/jxl'],
  ['1.2.4.201', 'High-Throughput JPEG 2000 Image Compression (Lossless Only)', true, 'image/jphc'],
  [
    '1.2.4.202',
    'High-Throughput JPEG 2000 with RPCL Options Image Compression (Lossless Only)',
    true,
    'image/jphc',
  ],
  ['1.2.4.203', 'High-Throughput JPEG 2000 Image Compression', true, 'image/jphc'],
  ['1.2.4.204', 'JPIP HTJ2K Referenced', false],
  ['1.2.5', 'RLE Lossless', true, 'image/dicom-rle'],
  // PS3.5 §8.2.15: frames are deflated native frames; no frame media type is defined for them.
  ['1.2.8.1', 'Deflated Image Frame Compression', true],
  ['1.2.7.1', 'SMPTE ST 2110-20 Uncompressed Progressive Active Video', false],
  ['1.2.7.2', 'SMPTE ST 2110-20 Uncompressed Interlaced Active Video', false],
  ['1.2.7.3', 'SMPTE ST 2110-30 PCM Digital Audio', false],
];

/**
 * Syntaxes whose pixel data lost information when it was made (PS3.5 §8.2, the "Lossy" and
 * "Near-Lossless" processes of PS3.6 Table A-1; JPEG XL JPEG Recompression holds a lossy JPEG).
 * It matters on the web: when no transfer syntax is asked for, a server may send such data as
 * stored instead of decoding it to the default (PS3.18 §8.7.3.4, §8.7.3.5), since decoding
 * cannot restore what was lost and only multiplies the size.
 */
const LOSSY_SUFFIXES = new Set([
  '1.2.4.50',
  '1.2.4.51',
  '1.2.4.52',
  '1.2.4.53',
  '1.2.4.54',
  '1.2.4.55',
  '1.2.4.56',
  '1.2.4.59',
  '1.2.4.60',
  '1.2.4.61',
  '1.2.4.62',
  '1.2.4.63',
  '1.2.4.64',
  '1.2.4.81',
  '1.2.4.91',
  '1.2.4.93',
  '1.2.4.111',
  '1.2.4.112',
  '1.2.4.203',
]);

const ROOT = '1.2.840.10008.';

function build(): Map<string, TransferSyntaxInfo> {
  const map = new Map<string, TransferSyntaxInfo>();
  const add = (info: TransferSyntaxInfo): void => void map.set(info.uid, info);
  add({
    uid: `${ROOT}1.2`,
    name: 'Implicit VR Little Endian',
    explicitVr: false,
    littleEndian: true,
    encapsulated: false,
    deflated: false,
    frameMediaType: OCTETS,
  });
  add({
    uid: `${ROOT}1.2.2`,
    name: 'Explicit VR Big Endian',
    explicitVr: true,
    littleEndian: false,
    encapsulated: false,
    deflated: false,
    frameMediaType: OCTETS,
    retired: true,
  });
  add({
    uid: `${ROOT}1.2.1.99`,
    name: 'Deflated Explicit VR Little Endian',
    explicitVr: true,
    littleEndian: true,
    encapsulated: false,
    deflated: true,
    frameMediaType: OCTETS,
  });
  add({
    uid: `${ROOT}1.2.4.95`,
    name: 'JPIP Referenced Deflate',
    explicitVr: true,
    littleEndian: true,
    encapsulated: false,
    deflated: true,
  });
  add({
    uid: `${ROOT}1.2.4.205`,
    name: 'JPIP HTJ2K Referenced Deflate',
    explicitVr: true,
    littleEndian: true,
    encapsulated: false,
    deflated: true,
  });
  for (const [suffix, name, encapsulated, frameMediaType, retired] of EXPLICIT_LE_ROWS) {
    const info: TransferSyntaxInfo = {
      uid: `${ROOT}${suffix}`,
      name,
      explicitVr: true,
      littleEndian: true,
      encapsulated,
      deflated: false,
    };
    if (frameMediaType) info.frameMediaType = frameMediaType;
    if (LOSSY_SUFFIXES.has(suffix)) info.lossy = true;
    if (retired) info.retired = true;
    add(info);
  }
  return map;
}

let registry: Map<string, TransferSyntaxInfo> | undefined;

/** The registry entry of a transfer syntax UID, undefined when it is not a standard one. */
export function findTransferSyntax(uid: string): TransferSyntaxInfo | undefined {
  registry ??= build();
  return registry.get(uid);
}

/** True for a registered syntax whose pixel data is lossy compressed. */
export function isLossyTransferSyntax(uid: string): boolean {
  return findTransferSyntax(uid)?.lossy === true;
}

/** Every registered transfer syntax. */
export function allTransferSyntaxes(): TransferSyntaxInfo[] {
  registry ??= build();
  return [...registry.values()];
}

/**
 * For an unknown UID: PS3.5 §A.4 says every encapsulated syntax is Explicit VR Little Endian,
 * so that is how the dataset of an unknown syntax is read; whether the pixel data is
 * encapsulated is decided by its length (undefined length = encapsulated).
 */
export function assumedTransferSyntax(uid: string): TransferSyntaxInfo {
  return {
    uid,
    name: 'Unknown',
    explicitVr: true,
    littleEndian: true,
    encapsulated: true,
    deflated: false,
  };
}

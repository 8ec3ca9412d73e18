/**
 * Test support: a minimal JPEG Lossless encoder (ITU T.81 Annex H, Process 14, first-order
 * prediction: selection value 1) for 8-bit grayscale, so tests can build tiny codestreams
 * whose pixels they know. Not a test file; imported by tests only.
 */

/** T.81 Table H.2: difference categories 0..8 cover every 8-bit difference (-255..255). */
const CATEGORIES = 9;
/** Every category gets a 4-bit code: 0000, 0001, … 1000 (canonical order, T.81 Annex C). */
const CODE_LENGTH = 4;

/** One 8-bit grayscale image (`rows × columns` samples, row by row) as a JPEG Lossless SV1 codestream. */
export function encodeJpegLosslessSv1(
  pixels: Uint8Array,
  rows: number,
  columns: number,
): Uint8Array {
  if (pixels.length !== rows * columns) throw new Error('pixels must be rows × columns');
  return new Uint8Array([
    ...[0xff, 0xd8], // SOI
    ...segment(0xc3, [8, ...u16(rows), ...u16(columns), 1, 1, 0x11, 0]), // SOF3, 1 component
    ...segment(0xc4, huffmanTable()), // DHT: DC table 0
    // SOS: 1 component using table 0, Ss = predictor 1, Se = 0, Ah/Al = 0 (no point transform).
    ...segment(0xda, [1, 1, 0x00, 1, 0, 0]),
    ...entropyCoded(pixels, columns),
    ...[0xff, 0xd9], // EOI
  ]);
}

function u16(n: number): number[] {
  return [(n >> 8) & 0xff, n & 0xff];
}

function segment(marker: number, body: number[]): number[] {
  return [0xff, marker, ...u16(body.length + 2), ...body];
}

function huffmanTable(): number[] {
  const bits = new Array<number>(16).fill(0);
  bits[CODE_LENGTH - 1] = CATEGORIES;
  return [0x00, ...bits, ...Array.from({ length: CATEGORIES }, (_, i) => i)];
}

/** T.81 H.1.1: prediction 2^(P-1) first, Ra along the first row, Rb down the first column. */
function predict(pixels: Uint8Array, i: number, columns: number): number {
  if (i === 0) return 128;
  if (i < columns || i % columns !== 0) return pixels[i - 1] ?? 0;
  return pixels[i - columns] ?? 0;
}

function entropyCoded(pixels: Uint8Array, columns: number): number[] {
  const out: number[] = [];
  let acc = 0;
  let count = 0;
  const put = (value: number, length: number): void => {
    for (let b = length - 1; b >= 0; b--) {
      acc = (acc << 1) | ((value >> b) & 1);
      if (++count === 8) {
        out.push(acc);
        if (acc === 0xff) out.push(0x00); // T.81 B.1.1.5: byte stuffing
        acc = 0;
        count = 0;
      }
    }
  };
  for (let i = 0; i < pixels.length; i++) {
    const diff = (pixels[i] ?? 0) - predict(pixels, i, columns);
    const category = diff === 0 ? 0 : Math.floor(Math.log2(Math.abs(diff))) + 1;
    put(category, CODE_LENGTH);
    // T.81 F.1.2.1.1: negative differences are sent as diff - 1 in `category` bits.
    if (category > 0) put(diff > 0 ? diff : diff - 1, category);
  }
  if (count > 0) put(0xff, 8 - count); // pad the last byte with 1-bits
  return out;
}

/**
 * JPEG sequential DCT with Huffman coding at 12-bit sample precision (ITU T.81 Process 4, the
 * 12-bit half of PS3.5 §A.4.1 "JPEG Extended (Process 2 & 4)", 1.2.840.10008.1.2.4.51).
 * The WASM libjpeg-turbo build we use is 8-bit only, so this small decoder covers the rest:
 * baseline/extended sequential frames (SOF0/SOF1), one scan, 8- or 16-bit quantisation
 * tables, restart intervals; one component, or three without subsampling. Progressive,
 * arithmetic-coded, lossless and hierarchical JPEG are refused.
 */
import { DecodeError } from './errors.js';
import type { WasmDecoded } from './wasm-decoders.js';

/** T.81 Figure A.6: zig-zag order → natural (row-major) position. */
const ZIGZAG = [
  0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20,
  13, 6, 7, 14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52,
  45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
];

/** T.81 A.3.3: IDCT basis, C(u)/2 · cos((2x+1)uπ/16), indexed [x * 8 + u]. */
const BASIS = (() => {
  const table = new Float64Array(64);
  for (let x = 0; x < 8; x++)
    for (let u = 0; u < 8; u++)
      table[x * 8 + u] =
        ((u === 0 ? Math.SQRT1_2 : 1) / 2) * Math.cos(((2 * x + 1) * u * Math.PI) / 16);
  return table;
})();

interface Huffman {
  /** T.81 F.2.2.3: per code length 1…16, the largest code (−1 when none), and value offsets. */
  maxCode: Int32Array;
  valPtr: Int32Array;
  minCode: Int32Array;
  values: Uint8Array;
}

interface Component {
  id: number;
  h: number;
  v: number;
  tq: number;
  dc?: Huffman;
  ac?: Huffman;
  pred: number;
  /** Decoded samples, blocksPerLine*8 wide. */
  samples?: Float64Array;
  blocksPerLine: number;
  blocksPerColumn: number;
}

/** T.81 C.2 / Annex C: build the decoding tables from BITS and HUFFVAL. */
function buildHuffman(counts: Uint8Array, values: Uint8Array): Huffman {
  const maxCode = new Int32Array(17).fill(-1);
  const valPtr = new Int32Array(17);
  const minCode = new Int32Array(17);
  let code = 0;
  let k = 0;
  for (let length = 1; length <= 16; length++) {
    const n = counts[length - 1] ?? 0;
    if (n > 0) {
      valPtr[length] = k;
      minCode[length] = code;
      code += n;
      k += n;
      maxCode[length] = code - 1;
    }
    code <<= 1;
  }
  return { maxCode, valPtr, minCode, values };
}

class BitReader {
  private bits = 0;
  private count = 0;
  /** Set when a marker (other than stuffed 0xFF00) is reached inside the entropy data. */
  marker = 0;

  constructor(
    private readonly data: Uint8Array,
    public at: number,
  ) {}

  bit(): number {
    if (this.count === 0) {
      let byte = 0;
      if (this.marker === 0 && this.at < this.data.length) {
        byte = this.data[this.at++] ?? 0;
        if (byte === 0xff) {
          const next = this.data[this.at] ?? 0;
          if (next === 0) this.at++;
          else {
            // T.81 F.2.2.5: past a marker the decoder sees zero bits.
            this.marker = next;
            byte = 0;
          }
        }
      }
      this.bits = byte;
      this.count = 8;
    }
    this.count--;
    return (this.bits >> this.count) & 1;
  }

  receive(length: number): number {
    let v = 0;
    for (let i = 0; i < length; i++) v = (v << 1) | this.bit();
    return v;
  }

  decode(table: Huffman): number {
    let code = 0;
    for (let length = 1; length <= 16; length++) {
      code = (code << 1) | this.bit();
      if (code <= (table.maxCode[length] ?? -1))
        return table.values[(table.valPtr[length] ?? 0) + code - (table.minCode[length] ?? 0)] ?? 0;
    }
    throw new DecodeError('JPEG: invalid Huffman code');
  }

  /** At a restart marker: drop the remaining bits and step over RSTn (T.81 F.2.2.5). */
  restart(): void {
    this.count = 0;
    if (this.marker >= 0xd0 && this.marker <= 0xd7) this.at++;
    else {
      // Find the marker if the entropy data ended exactly at a byte boundary.
      while (
        this.at + 1 < this.data.length &&
        !(
          this.data[this.at] === 0xff &&
          (this.data[this.at + 1] ?? 0) >= 0xd0 &&
          (this.data[this.at + 1] ?? 0) <= 0xd7
        )
      )
        this.at++;
      this.at += 2;
    }
    this.marker = 0;
  }
}

/** T.81 F.2.2.1: the value of `s` additional bits. */
function extend(v: number, s: number): number {
  return s === 0 ? 0 : v < 1 << (s - 1) ? v - (1 << s) + 1 : v;
}

function decodeBlock(
  reader: BitReader,
  c: Component,
  quant: Uint16Array,
  out: Float64Array,
  x0: number,
  y0: number,
): void {
  const coef = new Float64Array(64);
  const t = reader.decode(c.dc!);
  c.pred += extend(reader.receive(t), t);
  coef[0] = c.pred * (quant[0] ?? 1);
  for (let k = 1; k < 64;) {
    const rs = reader.decode(c.ac!);
    const r = rs >> 4;
    const s = rs & 15;
    if (s === 0) {
      if (r !== 15) break;
      k += 16;
      continue;
    }
    k += r;
    if (k > 63) throw new DecodeError('JPEG: coefficient index beyond 63');
    coef[ZIGZAG[k] ?? 0] = extend(reader.receive(s), s) * (quant[k] ?? 1);
    k++;
  }
  // Separable 8×8 inverse DCT (T.81 A.3.3).
  const tmp = new Float64Array(64);
  for (let y = 0; y < 8; y++)
    for (let u = 0; u < 8; u++) {
      let sum = 0;
      for (let v = 0; v < 8; v++) sum += (BASIS[y * 8 + v] ?? 0) * (coef[v * 8 + u] ?? 0);
      tmp[y * 8 + u] = sum;
    }
  const width = c.blocksPerLine * 8;
  for (let y = 0; y < 8; y++)
    for (let x = 0; x < 8; x++) {
      let sum = 0;
      for (let u = 0; u < 8; u++) sum += (BASIS[x * 8 + u] ?? 0) * (tmp[y * 8 + u] ?? 0);
      out[(y0 + y) * width + x0 + x] = sum;
    }
}

/**
 * Decodes a sequential DCT JPEG of any precision (used for 12-bit). Samples come back
 * interleaved, 16-bit little-endian when the precision is above 8.
 *
 * @throws DecodeError for progressive, arithmetic, lossless or subsampled colour streams and
 *   for damaged data.
 */
export function decodeJpegSequential(data: Uint8Array): WasmDecoded {
  if (data[0] !== 0xff || data[1] !== 0xd8) throw new DecodeError('JPEG: no SOI marker');
  const quant: Uint16Array[] = [];
  const dcTables: Huffman[] = [];
  const acTables: Huffman[] = [];
  let components: Component[] = [];
  let precision = 8;
  let width = 0;
  let height = 0;
  let restartInterval = 0;
  let at = 2;
  const u16 = (i: number): number => ((data[i] ?? 0) << 8) | (data[i + 1] ?? 0);
  while (at + 4 <= data.length) {
    if (data[at] !== 0xff) throw new DecodeError(`JPEG: expected a marker at byte ${at}`);
    const marker = data[at + 1] ?? 0;
    if (marker === 0xff) {
      at++;
      continue;
    }
    if (marker === 0xd9) break;
    const length = u16(at + 2);
    const body = at + 4;
    const end = at + 2 + length;
    switch (marker) {
      case 0xdb: // DQT, T.81 B.2.4.1
        for (let i = body; i < end;) {
          const pq = (data[i] ?? 0) >> 4;
          const tq = (data[i] ?? 0) & 15;
          const table = new Uint16Array(64);
          i++;
          for (let k = 0; k < 64; k++, i += pq ? 2 : 1) table[k] = pq ? u16(i) : (data[i] ?? 0);
          quant[tq] = table;
        }
        break;
      case 0xc4: // DHT, T.81 B.2.4.2
        for (let i = body; i < end;) {
          const tc = (data[i] ?? 0) >> 4;
          const th = (data[i] ?? 0) & 15;
          const counts = data.subarray(i + 1, i + 17);
          const total = counts.reduce((n, c) => n + c, 0);
          const table = buildHuffman(counts, data.subarray(i + 17, i + 17 + total));
          (tc === 0 ? dcTables : acTables)[th] = table;
          i += 17 + total;
        }
        break;
      case 0xdd: // DRI
        restartInterval = u16(body);
        break;
      case 0xc0:
      case 0xc1: {
        // SOF0 / SOF1, T.81 B.2.2
        precision = data[body] ?? 8;
        height = u16(body + 1);
        width = u16(body + 3);
        const n = data[body + 5] ?? 0;
        components = [];
        for (let i = 0; i < n; i++) {
          const p = body + 6 + i * 3;
          const hv = data[p + 1] ?? 0x11;
          components.push({
            id: data[p] ?? 0,
            h: hv >> 4,
            v: hv & 15,
            tq: data[p + 2] ?? 0,
            pred: 0,
            blocksPerLine: 0,
            blocksPerColumn: 0,
          });
        }
        // T.81 A.2.2: a single component is one block per MCU whatever its factors say;
        // several components must share them (no subsampling) for this decoder.
        const first = components[0];
        if (components.some((c) => c.h !== first?.h || c.v !== first.v))
          throw new DecodeError('JPEG: subsampled components are not supported at this precision');
        break;
      }
      case 0xda: {
        // SOS, T.81 B.2.3: one scan holding every component
        const n = data[body] ?? 0;
        for (let i = 0; i < n; i++) {
          const id = data[body + 1 + i * 2];
          const tables = data[body + 2 + i * 2] ?? 0;
          const c = components.find((x) => x.id === id);
          if (!c) throw new DecodeError('JPEG: scan names an unknown component');
          c.dc = dcTables[tables >> 4];
          c.ac = acTables[tables & 15];
        }
        if (n !== components.length || components.length === 0 || !width || !height)
          throw new DecodeError('JPEG: only single-scan sequential images are supported');
        return decodeScan(data, end, {
          components,
          quant,
          width,
          height,
          precision,
          restartInterval,
        });
      }
      default:
        if (
          marker >= 0xc2 &&
          marker <= 0xcf &&
          marker !== 0xc4 &&
          marker !== 0xc8 &&
          marker !== 0xcc
        )
          throw new DecodeError(
            'JPEG: progressive, lossless, hierarchical or arithmetic coding is not supported here',
          );
    }
    at = end;
  }
  throw new DecodeError('JPEG: no scan');
}

interface Frame {
  components: Component[];
  quant: Uint16Array[];
  width: number;
  height: number;
  precision: number;
  restartInterval: number;
}

function decodeScan(data: Uint8Array, start: number, frame: Frame): WasmDecoded {
  const { components, width, height, precision, restartInterval } = frame;
  const mcusX = Math.ceil(width / 8);
  const mcusY = Math.ceil(height / 8);
  for (const c of components) {
    c.blocksPerLine = mcusX;
    c.blocksPerColumn = mcusY;
    c.samples = new Float64Array(mcusX * 8 * mcusY * 8);
    if (!c.dc || !c.ac || !frame.quant[c.tq])
      throw new DecodeError('JPEG: missing Huffman or quantisation table');
  }
  const reader = new BitReader(data, start);
  const total = mcusX * mcusY;
  for (let mcu = 0; mcu < total; mcu++) {
    if (restartInterval && mcu > 0 && mcu % restartInterval === 0) {
      reader.restart();
      for (const c of components) c.pred = 0;
    }
    const x0 = (mcu % mcusX) * 8;
    const y0 = Math.floor(mcu / mcusX) * 8;
    for (const c of components) decodeBlock(reader, c, frame.quant[c.tq]!, c.samples!, x0, y0);
  }
  // Level shift (T.81 A.3.1) and clamp to the sample precision.
  const shift = 1 << (precision - 1);
  const max = (1 << precision) - 1;
  const bytes = precision > 8 ? 2 : 1;
  const out = new Uint8Array(width * height * components.length * bytes);
  const stride = mcusX * 8;
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      components.forEach((c, ci) => {
        const v = Math.min(max, Math.max(0, Math.round((c.samples![y * stride + x] ?? 0) + shift)));
        const i = ((y * width + x) * components.length + ci) * bytes;
        out[i] = v & 0xff;
        if (bytes === 2) out[i + 1] = v >> 8;
      });
  return {
    info: { width, height, bitsPerSample: precision, componentCount: components.length },
    data: out,
  };
}

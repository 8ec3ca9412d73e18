/**
 * Decoding of text values by Specific Character Set (0008,0005), PS3.5 §6.1 and PS3.3
 * C.12.1.1.2 (Table C.12-2 single-byte without extensions, C.12-3 with code extensions,
 * C.12-4 multi-byte with code extensions, C.12-5 multi-byte without extensions).
 *
 * Unknown terms never throw: the value is decoded as Latin-1 and a warning is recorded.
 */
import { TextDecoder } from 'node:util';

/** Decodes the bytes of one text value (all its values, backslashes included). */
export interface CharsetDecoder {
  /** `personName` resets ISO 2022 code extensions at the PN delimiters '^' and '=' too. */
  decode(bytes: Uint8Array, personName?: boolean): string;
}

const decoders = new Map<string, TextDecoder>();
function textDecoder(label: string): TextDecoder {
  let decoder = decoders.get(label);
  if (!decoder) {
    decoder = new TextDecoder(label);
    decoders.set(label, decoder);
  }
  return decoder;
}

/** True ISO 8859-1 (TextDecoder's 'latin1' is windows-1252, which differs in 0x80-0x9F). */
export function decodeLatin1(bytes: Uint8Array): string {
  // Short values (most of a header) are cheaper to build directly than through a Buffer.
  if (bytes.length <= 64) {
    let s = '';
    for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i] ?? 0);
    return s;
  }
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

/** Default repertoire (ISO-IR 6); bytes above 0x7F are not valid but are kept as Latin-1. */
export const defaultCharsetDecoder: CharsetDecoder = { decode: decodeLatin1 };

/** C.12-2 / C.12-5: terms without code extensions, and the decoder label for each. */
const SINGLE: Readonly<Record<string, string>> = {
  '': 'latin1',
  ISO_IR_6: 'latin1',
  'ISO_IR 6': 'latin1',
  'ISO_IR 100': 'latin1',
  'ISO_IR 101': 'iso-8859-2',
  'ISO_IR 109': 'iso-8859-3',
  'ISO_IR 110': 'iso-8859-4',
  'ISO_IR 144': 'iso-8859-5',
  'ISO_IR 127': 'iso-8859-6',
  'ISO_IR 126': 'iso-8859-7',
  'ISO_IR 138': 'iso-8859-8',
  'ISO_IR 148': 'iso-8859-9',
  'ISO_IR 203': 'iso-8859-15',
  'ISO_IR 13': 'shift_jis',
  'ISO_IR 166': 'windows-874',
  'ISO_IR 192': 'utf-8',
  GB18030: 'gb18030',
  GBK: 'gbk',
};

type G0 = 'ascii' | 'jis-x0208' | 'jis-x0212';
interface State {
  g0: G0;
  /** Decoder label for bytes 0xA0-0xFF (G1); undefined means Latin-1. */
  g1: string | undefined;
}

/** C.12-3 / C.12-4: the escape sequence (after ESC) of each ISO 2022 term and what it designates. */
const ESCAPES: Readonly<Record<string, { term: string; g0?: G0; g1?: string }>> = {
  '(B': { term: 'ISO 2022 IR 6', g0: 'ascii' },
  '(J': { term: 'ISO 2022 IR 13', g0: 'ascii' }, // JIS X 0201 Romaji: ASCII but for ¥ and ‾
  ')I': { term: 'ISO 2022 IR 13', g1: 'shift_jis' }, // JIS X 0201 Katakana in G1
  '-A': { term: 'ISO 2022 IR 100', g1: 'latin1' },
  '-B': { term: 'ISO 2022 IR 101', g1: 'iso-8859-2' },
  '-C': { term: 'ISO 2022 IR 109', g1: 'iso-8859-3' },
  '-D': { term: 'ISO 2022 IR 110', g1: 'iso-8859-4' },
  '-L': { term: 'ISO 2022 IR 144', g1: 'iso-8859-5' },
  '-G': { term: 'ISO 2022 IR 127', g1: 'iso-8859-6' },
  '-F': { term: 'ISO 2022 IR 126', g1: 'iso-8859-7' },
  '-H': { term: 'ISO 2022 IR 138', g1: 'iso-8859-8' },
  '-M': { term: 'ISO 2022 IR 148', g1: 'iso-8859-9' },
  '-b': { term: 'ISO 2022 IR 203', g1: 'iso-8859-15' },
  '-T': { term: 'ISO 2022 IR 166', g1: 'windows-874' },
  $B: { term: 'ISO 2022 IR 87', g0: 'jis-x0208' },
  '$(D': { term: 'ISO 2022 IR 159', g0: 'jis-x0212' },
  '$)C': { term: 'ISO 2022 IR 149', g1: 'euc-kr' },
  '$)A': { term: 'ISO 2022 IR 58', g1: 'gbk' },
};

/** Initial designation of a value-1 ISO 2022 term (PS3.5 §6.1.2.5.4). */
const INITIAL: Readonly<Record<string, State>> = {
  '': { g0: 'ascii', g1: undefined },
  'ISO 2022 IR 6': { g0: 'ascii', g1: undefined },
  'ISO 2022 IR 13': { g0: 'ascii', g1: 'shift_jis' },
  'ISO 2022 IR 100': { g0: 'ascii', g1: 'latin1' },
  'ISO 2022 IR 101': { g0: 'ascii', g1: 'iso-8859-2' },
  'ISO 2022 IR 109': { g0: 'ascii', g1: 'iso-8859-3' },
  'ISO 2022 IR 110': { g0: 'ascii', g1: 'iso-8859-4' },
  'ISO 2022 IR 144': { g0: 'ascii', g1: 'iso-8859-5' },
  'ISO 2022 IR 127': { g0: 'ascii', g1: 'iso-8859-6' },
  'ISO 2022 IR 126': { g0: 'ascii', g1: 'iso-8859-7' },
  'ISO 2022 IR 138': { g0: 'ascii', g1: 'iso-8859-8' },
  'ISO 2022 IR 148': { g0: 'ascii', g1: 'iso-8859-9' },
  'ISO 2022 IR 203': { g0: 'ascii', g1: 'iso-8859-15' },
  'ISO 2022 IR 166': { g0: 'ascii', g1: 'windows-874' },
  'ISO 2022 IR 87': { g0: 'ascii', g1: undefined },
  'ISO 2022 IR 159': { g0: 'ascii', g1: undefined },
  'ISO 2022 IR 149': { g0: 'ascii', g1: 'euc-kr' },
  'ISO 2022 IR 58': { g0: 'ascii', g1: 'gbk' },
};

const ESC = 0x1b;

function decodeWith(label: string | undefined, bytes: Uint8Array): string {
  if (label === undefined || label === 'latin1') return decodeLatin1(bytes);
  return textDecoder(label).decode(bytes);
}

function decodeSegment(state: State, bytes: Uint8Array): string {
  if (bytes.length === 0) return '';
  switch (state.g0) {
    case 'jis-x0208': {
      // The WHATWG iso-2022-jp decoder knows JIS X 0208 after ESC $ B.
      const framed = new Uint8Array(bytes.length + 3);
      framed.set([ESC, 0x24, 0x42]);
      framed.set(bytes, 3);
      return textDecoder('iso-2022-jp').decode(framed);
    }
    case 'jis-x0212': {
      // EUC-JP carries JIS X 0212 as 0x8F followed by the two bytes with the high bit set.
      const euc: number[] = [];
      for (let i = 0; i + 1 < bytes.length; i += 2) {
        euc.push(0x8f, (bytes[i] ?? 0) | 0x80, (bytes[i + 1] ?? 0) | 0x80);
      }
      return textDecoder('euc-jp').decode(new Uint8Array(euc));
    }
    case 'ascii':
      return decodeWith(state.g1, bytes);
  }
}

/** ISO 2022 decoding with code extensions (PS3.5 §6.1.2.5). */
class Iso2022Decoder implements CharsetDecoder {
  constructor(
    private readonly initial: State,
    private readonly warn: (message: string) => void,
  ) {}

  decode(bytes: Uint8Array, personName = false): string {
    let state: State = { ...this.initial };
    let out = '';
    let start = 0;
    let i = 0;
    while (i < bytes.length) {
      const b = bytes[i] ?? 0;
      if (b === ESC) {
        out += decodeSegment(state, bytes.subarray(start, i));
        let j = i + 1;
        while (j < bytes.length && (bytes[j] ?? 0) >= 0x20 && (bytes[j] ?? 0) <= 0x2f) j++;
        const sequence = String.fromCharCode(...bytes.subarray(i + 1, j + 1));
        const designation = ESCAPES[sequence];
        if (designation) {
          state = { g0: designation.g0 ?? state.g0, g1: designation.g1 ?? state.g1 };
        } else {
          this.warn('unknown ISO 2022 escape sequence in a text value, ignored');
        }
        i = j + 1;
        start = i;
        continue;
      }
      // PS3.5 §6.1.2.5.3: the initial designation is active again after line ends, tabs,
      // value delimiters and, in person names, component delimiters.
      const resets =
        state.g0 === 'ascii' &&
        (b === 0x5c ||
          b === 0x0a ||
          b === 0x0d ||
          b === 0x0c ||
          b === 0x09 ||
          (personName && (b === 0x3d || b === 0x5e)));
      i++;
      if (resets) {
        out += decodeSegment(state, bytes.subarray(start, i));
        start = i;
        state = { ...this.initial };
      }
    }
    return out + decodeSegment(state, bytes.subarray(start));
  }
}

const normalizeTerm = (term: string): string =>
  term
    .trim()
    .toUpperCase()
    .replace(/^ISO_IR_/, 'ISO_IR ');

/**
 * A decoder for the values of Specific Character Set (0008,0005). `warn` receives a message
 * (no values) for unknown terms; those decode as Latin-1.
 */
export function createCharsetDecoder(
  terms: readonly string[],
  warn: (message: string) => void,
): CharsetDecoder {
  const normalized = terms.map(normalizeTerm);
  const first = normalized[0] ?? '';
  const iso2022 = normalized.length > 1 || first.startsWith('ISO 2022');
  if (!iso2022) {
    const label = SINGLE[first];
    if (label === undefined) {
      warn('unknown Specific Character Set term, text decoded as Latin-1');
      return defaultCharsetDecoder;
    }
    if (label === 'latin1') return defaultCharsetDecoder;
    const decoder = textDecoder(label);
    return { decode: (bytes) => decoder.decode(bytes) };
  }
  // Value 1 may be an 8-bit single-byte term (ISO_IR 100) standing for its ISO 2022 form.
  const initialTerm = first.replace(/^ISO_IR /, 'ISO 2022 IR ');
  let initial = INITIAL[initialTerm];
  if (!initial) {
    warn('unknown Specific Character Set term, text decoded as Latin-1');
    initial = { g0: 'ascii', g1: undefined };
  }
  for (const term of normalized.slice(1)) {
    if (INITIAL[term.replace(/^ISO_IR /, 'ISO 2022 IR ')] === undefined) {
      warn('unknown Specific Character Set term, ignored');
    }
  }
  return new Iso2022Decoder(initial, warn);
}

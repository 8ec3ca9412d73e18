import { ProjectError } from '../lib/errors.js';

/**
 * One media type, as in a Content-Type header (RFC 9110 §8.3.1):
 *
 *     media-type = type "/" subtype parameters
 *     parameters = *( OWS ";" OWS [ parameter ] )
 *     parameter  = parameter-name "=" parameter-value
 *     parameter-value = ( token / quoted-string )
 *
 * Deliberate leniencies, because STOW clients send them:
 * - unquoted values may hold any visible ASCII except `;` `"` `\` and `,` — `type=application/dicom`
 *   (`/` is not a tchar, yet OHIF sends it unquoted with omitQuotationForMultipartRequest) and boundaries with `:`,
 *   `=`, `?`, `(`, `)` or `/`;
 * - whitespace is allowed around `=` and before the first `;`.
 * Still refused: a missing `/`, an empty type or subtype, a parameter without `=`, an empty
 * unquoted value, an unterminated quoted string, control characters, and a parameter given twice
 * (two `boundary`s would let a proxy and us split the body differently).
 */
export interface MediaType {
  /** `type/subtype`, lowercased (RFC 9110 §8.3.1: case-insensitive). */
  type: string;
  /** Lowercased names; values unquoted with quoted-pairs resolved, case kept (a boundary is case-sensitive). */
  params: Record<string, string>;
}

export class MediaTypeError extends ProjectError {
  override readonly name = 'MediaTypeError';
  readonly code = 'web.bad_media_type';
  constructor(
    reason: string,
    readonly offset: number,
  ) {
    super(`malformed media type: ${reason} at character ${offset}`);
  }
}

/** RFC 9110 §5.6.2 tchar. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const TOKEN_CHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;
/** Lenient unquoted value: visible ASCII and obs-text except `;` `"` `\` and `,`. */
const BARE_VALUE_CHAR = /[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e\x80-\xff]/;
/** RFC 9110 §5.6.4 qdtext (HTAB / SP / VCHAR but `"` `\` / obs-text). */
const QDTEXT = /[\t \x21\x23-\x5b\x5d-\x7e\x80-\xff]/;
/** RFC 9110 §5.6.4 quoted-pair: `\` ( HTAB / SP / VCHAR / obs-text ). */
const QUOTED_PAIR_CHAR = /[\t \x21-\x7e\x80-\xff]/;

export function parseMediaType(header: string): MediaType {
  const s = header;
  let i = skipOws(s, 0);
  const slash = s.indexOf('/', i);
  const end = (j: number): number => {
    while (j < s.length && TOKEN_CHAR.test(s[j] ?? '')) j++;
    return j;
  };
  const typeEnd = end(i);
  if (typeEnd === i || slash !== typeEnd) throw new MediaTypeError('expected type "/" subtype', i);
  const subtypeEnd = end(slash + 1);
  if (subtypeEnd === slash + 1) throw new MediaTypeError('expected a subtype', slash + 1);
  const type = s.slice(i, subtypeEnd).toLowerCase();
  i = subtypeEnd;

  const params: Record<string, string> = {};
  for (;;) {
    i = skipOws(s, i);
    if (i >= s.length) break;
    if (s[i] !== ';') throw new MediaTypeError('expected ";" or the end', i);
    i = skipOws(s, i + 1);
    if (i >= s.length || s[i] === ';') continue; // empty parameter, allowed by the grammar
    const nameEnd = end(i);
    if (nameEnd === i) throw new MediaTypeError('expected a parameter name', i);
    const name = s.slice(i, nameEnd).toLowerCase();
    i = skipOws(s, nameEnd);
    if (s[i] !== '=') throw new MediaTypeError('expected "=" after a parameter name', i);
    i = skipOws(s, i + 1);
    const [value, next] = s[i] === '"' ? readQuoted(s, i) : readBare(s, i);
    if (Object.hasOwn(params, name)) throw new MediaTypeError('parameter given twice', i);
    // defineProperty: a parameter named __proto__ becomes data, not a prototype change.
    Object.defineProperty(params, name, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
    i = next;
  }
  return { type, params };
}

/**
 * The inverse of parseMediaType: values that are not tokens are quoted, with `"` and `\`
 * escaped (RFC 9110 §5.6.4). Throws on a value that cannot be sent at all (control characters).
 */
export function formatMediaType(type: string, params: Record<string, string> = {}): string {
  let out = type;
  for (const [name, value] of Object.entries(params)) {
    if (!TOKEN.test(name)) throw new TypeError(`parameter name is not a token: ${name}`);
    if (TOKEN.test(value)) {
      out += `; ${name}=${value}`;
      continue;
    }
    if (![...value].every((c) => QUOTED_PAIR_CHAR.test(c))) {
      throw new TypeError(`parameter ${name} holds a character that cannot be quoted`);
    }
    out += `; ${name}="${value.replace(/["\\]/g, '\\$&')}"`;
  }
  return out;
}

function skipOws(s: string, i: number): number {
  while (s[i] === ' ' || s[i] === '\t') i++;
  return i;
}

function readBare(s: string, start: number): [string, number] {
  let i = start;
  while (i < s.length && BARE_VALUE_CHAR.test(s[i] ?? '')) i++;
  if (i === start) throw new MediaTypeError('expected a parameter value', start);
  return [s.slice(start, i), i];
}

function readQuoted(s: string, start: number): [string, number] {
  let value = '';
  let i = start + 1;
  for (;;) {
    const c = s[i];
    if (c === undefined) throw new MediaTypeError('unterminated quoted string', start);
    if (c === '"') return [value, i + 1];
    if (c === '\\') {
      const escaped = s[i + 1];
      if (escaped === undefined || !QUOTED_PAIR_CHAR.test(escaped)) {
        throw new MediaTypeError('bad quoted-pair', i);
      }
      value += escaped;
      i += 2;
    } else if (QDTEXT.test(c)) {
      value += c;
      i++;
    } else {
      throw new MediaTypeError('control character in quoted string', i);
    }
  }
}

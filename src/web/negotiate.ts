/**
 * Content negotiation for DICOMweb retrieve (PS3.18 8.7.3, RFC 9110 §12.5.1): the `Accept`
 * header (or the `accept` query parameter, which PS3.18 8.3.3.1 says replaces it) against what a
 * resource can offer. Lenient where clients differ: `type=` quoted or not (OHIF omits the
 * quotes), `transfer-syntax=*`, `multipart/*`, `*\/*`, q-values, malformed ranges skipped.
 *
 * Rule: each offer takes the q of the MOST SPECIFIC range that matches it (RFC 9110 §12.5.1);
 * the offer with the highest q wins, ties going to the server's order of offers. A range matches
 * an offer when its type matches (exact, `x/*` or `*\/*`), every parameter it names other than
 * `q` and `transfer-syntax` equals the offer's (case-insensitive), and its `transfer-syntax`, if
 * any, is one the offer can produce.
 */
import { NotAcceptableError } from '../services/errors.js';
import type { Offer } from '../services/representation.js';
import { formatMediaType, parseMediaType } from './media-type.js';
import { BadRequestError } from './errors.js';

export type { Offer };

export interface AcceptRange {
  type: string;
  /** Parameters other than q, names lowercased. */
  params: Record<string, string>;
  q: number;
}

export interface Negotiated<T extends Offer> {
  offer: T;
  /** The transfer syntax asked for (`*` possible), else the offer's default, else undefined. */
  transferSyntax: string | undefined;
  range: AcceptRange;
}

/** `Accept` split on commas outside quoted strings; malformed ranges are skipped. */
export function parseAccept(header: string): AcceptRange[] {
  const ranges: AcceptRange[] = [];
  for (const text of splitOutsideQuotes(header)) {
    if (text.trim() === '') continue;
    let parsed;
    try {
      parsed = parseMediaType(text.trim());
    } catch {
      continue;
    }
    const { q: qText, ...params } = parsed.params;
    const q = qText === undefined ? 1 : Number(qText);
    if (!Number.isFinite(q) || q < 0 || q > 1) continue;
    if (params['type'] !== undefined) params['type'] = params['type'].toLowerCase();
    ranges.push({ type: parsed.type, params, q });
  }
  return ranges;
}

function splitOutsideQuotes(s: string): string[] {
  const out: string[] = [];
  let quoted = false;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\' && quoted) i++;
    else if (c === '"') quoted = !quoted;
    else if (c === ',' && !quoted) {
      out.push(s.slice(start, i));
      start = i + 1;
    }
  }
  out.push(s.slice(start));
  return out;
}

/** Specificity of a range that matches `offer`, or -1 when it does not match. */
function matchScore(range: AcceptRange, offer: Offer): number {
  let score: number;
  if (range.type === '*/*') score = 0;
  else if (range.type.endsWith('/*')) {
    if (!offer.type.startsWith(range.type.slice(0, -1))) return -1;
    score = 1;
  } else if (range.type === offer.type) score = 2;
  else return -1;
  for (const [name, value] of Object.entries(range.params)) {
    if (name === 'transfer-syntax') {
      if (!offer.transferSyntaxes?.includes(value)) return -1;
    } else {
      const own = offer.params?.[name];
      if (own === undefined || own.toLowerCase() !== value.toLowerCase()) return -1;
    }
    score += 1;
  }
  return score;
}

/**
 * The best offer for `accept` (header or query value; absent or empty = `*\/*`), or
 * `undefined` when nothing acceptable. Throws BadRequestError when no range parses at all.
 */
export function negotiate<T extends Offer>(
  accept: string | undefined,
  offers: readonly T[],
): Negotiated<T> | undefined {
  const ranges = accept === undefined || accept.trim() === '' ? [ANY] : parseAccept(accept);
  if (ranges.length === 0)
    throw new BadRequestError('the Accept header holds no valid media range');
  let best: Negotiated<T> | undefined;
  for (const offer of offers) {
    let chosen: AcceptRange | undefined;
    let chosenScore = -1;
    for (const range of ranges) {
      const score = matchScore(range, offer);
      // Equal specificity: the higher q (several ranges for one offer with different syntaxes).
      if (score > chosenScore || (score === chosenScore && chosen && range.q > chosen.q)) {
        chosen = range;
        chosenScore = score;
      }
    }
    if (!chosen || chosen.q <= 0) continue;
    if (best && best.range.q >= chosen.q) continue;
    best = {
      offer,
      range: chosen,
      transferSyntax: chosen.params['transfer-syntax'] ?? offer.transferSyntaxes?.[0],
    };
  }
  return best;
}

const ANY: AcceptRange = { type: '*/*', params: {}, q: 1 };

/** Like `negotiate`, but 406 (problem+json naming what is offered) when nothing fits. */
export function negotiateOrThrow<T extends Offer>(
  accept: string | undefined,
  offers: readonly T[],
): Negotiated<T> {
  const result = negotiate(accept, offers);
  if (result) return result;
  const described = offers.map(describeOffer);
  throw new NotAcceptableError(
    `none of the accepted media types can be served; this resource offers ${described.join(', ')}`,
    described,
  );
}

/** E.g. `multipart/related; type="application/dicom"; transfer-syntax=1.2.840.10008.1.2.1|*`. */
export function describeOffer(offer: Offer): string {
  const base = formatMediaType(offer.type, offer.params ?? {});
  if (!offer.transferSyntaxes?.length) return base;
  return `${base}; transfer-syntax=${offer.transferSyntaxes.join('|')}`;
}

/** PS3.18 8.3.3.1: the `accept` query parameter, when present, replaces the Accept header. */
export function acceptOf(request: {
  query(name: string): string | undefined;
  header(name: string): string | undefined;
}): string | undefined {
  return request.query('accept') ?? request.header('accept');
}

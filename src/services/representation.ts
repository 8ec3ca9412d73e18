/**
 * What a WADO-RS use case answers with, decided before any byte is read: the validator, whether
 * caches must revalidate, and how to open the body (one payload, multipart parts, or archive
 * entries). web/ turns it into a response (conditional requests, the multipart and zip writers);
 * the use case decides what is sent, never how HTTP frames it.
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';

export interface Representation {
  /** Strong validator (RFC 9110 §8.8.3) of exactly the bytes `open()` would produce. */
  etag: string;
  /**
   * The resource may come to mean other bytes under the same URL (a study or series that grows,
   * a rendered image of a replaced object): caches revalidate every time. Otherwise the bytes
   * behind the validator never change and may be reused for a while.
   */
  revalidate: boolean;
  /** The body answers single byte ranges (RFC 9110 §14.3: Accept-Ranges: bytes). */
  byteRanges?: boolean;
  /**
   * Opens the body; called only when it is sent (not for a 304). Storage is reached before this
   * resolves, so an offline tier or a missing blob is an error answer, not a cut body.
   */
  open(): Promise<RepresentationBody>;
  /**
   * Starts, ahead of `open()`, work that reads nothing from storage (an image encoded from a
   * frame already in memory), so that it runs while the audit record is written
   * (audit-records.ts); `open()` then takes its result. Called at most once, only when the body
   * is to be sent; if the record fails the work is dropped and nothing is sent.
   */
  start?(): void;
}

export type RepresentationBody = SingleBody | MultipartBody | ArchiveBody;

/** One payload (`application/dicom`, a frame, a bulk data value, JSON, an image). */
export interface SingleBody {
  kind: 'single';
  /** Full media type with parameters, e.g. `application/dicom; transfer-syntax=…`. */
  mediaType: string;
  body: Uint8Array | Readable;
  /** Bytes the stream will yield, when known before it is read. */
  length?: number | undefined;
  /** A part of the value (RFC 9110 §14.4: 206 with Content-Range): inclusive bounds. */
  range?: { start: number; end: number; size: number } | undefined;
}

/** multipart/related (PS3.18 8.6.1.2, RFC 2387), parts read one at a time as they are sent. */
export interface MultipartBody {
  kind: 'multipart';
  /** The `type` parameter: the root part's media type without parameters. */
  type: string;
  parts: AsyncIterable<RepresentationPart> | readonly RepresentationPart[];
}

export interface RepresentationPart {
  mediaType: string;
  body: Uint8Array | Readable;
}

/** `application/zip` (PS3.18 Supplement 211): one entry per instance. */
export interface ArchiveBody {
  kind: 'archive';
  /** The suggested file name (without `.zip`). */
  name: string;
  entries: AsyncIterable<{ name: string; body: Readable }>;
}

/** What a resource can be sent as (PS3.18 8.7.3); web/ negotiates Accept against a list of these. */
export interface Offer {
  /** `type/subtype`, lowercase, e.g. `multipart/related`, `image/jpeg`. */
  type: string;
  /** Parameters a range may name, e.g. `{ type: 'application/dicom' }` for multipart. */
  params?: Record<string, string>;
  /**
   * Transfer syntaxes this offer can produce (`*` = as stored); the first is the default when
   * the range names none. Absent: a range naming a transfer syntax does not match.
   */
  transferSyntaxes?: readonly string[];
}

/** What the request chose among the offers, and what else shapes the representation. */
export interface Choice<T extends Offer> {
  offer: T;
  /** The transfer syntax the request named (`*` possible); undefined = none. */
  transferSyntax?: string | undefined;
  signal?: AbortSignal | undefined;
}

/**
 * A resource found and checked (404s and 400s are behind), with what it can be sent as;
 * `choose` turns the negotiated offer into a plan (or throws NotAcceptableError, 406).
 */
export interface Choices<T extends Offer, C extends Choice<T> = Choice<T>> {
  offers: readonly T[];
  choose(choice: C): Representation;
}

/** A strong validator from what identifies the representation (ids, versions, hashes, syntax). */
export function etagOf(parts: readonly (string | number)[]): string {
  return `"${createHash('sha256').update(parts.join('|')).digest('base64url').slice(0, 27)}"`;
}

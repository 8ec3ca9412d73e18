/**
 * The reading context of one dataset (the top level or an item) and the parser options.
 */
import type { CharsetDecoder } from '../charset.js';
import type { BulkDataLimits } from '../json/bulk-data.js';
import type { Syntax } from './tokenizer.js';

export interface ParserOptions extends BulkDataLimits {
  maxHeaderBytes: number;
  bulkDataUri: (path: string) => string;
}

/** One dataset being read: the top level, or an item. */
export interface Scope {
  syntax: Syntax;
  /** End of a defined-length item: the loop stops there. */
  end: number | undefined;
  /** Position no value may run past (the nearest enclosing defined length). */
  limit: number | undefined;
  /** The item ends at an item delimitation item. */
  delimited: boolean;
  /** Path prefix of this dataset's elements: '' or '00540016/0/'. */
  prefix: string;
  charset: CharsetDecoder;
  pixelRepresentation: number | undefined;
  depth: number;
  /** File meta: stop before the first element of another group. */
  onlyGroup?: number;
}

/** Deeper nesting than this is treated as hostile input rather than recursed into. */
export const MAX_DEPTH = 64;

/** Memory charged per element on top of its value (keys, objects). */
export const ELEMENT_OVERHEAD = 32;

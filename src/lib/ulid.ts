import { randomFillSync } from 'node:crypto';

/**
 * ULID (https://github.com/ulid/spec): 48-bit millisecond time + 80-bit randomness, 26 chars of
 * Crockford base32, lexicographically sortable by time. Monotonic: within one millisecond (or if
 * the clock steps back) the random part of the previous id is incremented, so ids from one
 * generator are strictly increasing.
 */
export type UlidFactory = () => string;

export interface UlidFactoryOptions {
  /** Milliseconds since the epoch; defaults to `Date.now`. */
  now?: () => number;
  /** Fills a buffer with random bytes; defaults to `crypto.randomFillSync`. */
  random?: (buffer: Uint8Array) => void;
}

/** Crockford's base32 alphabet (no I, L, O, U), as the ULID spec requires. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const TIME_CHARS = 10;
const RANDOM_CHARS = 16;
/** ULID spec: the time component is 48 bits. */
const MAX_TIME = 2 ** 48 - 1;
const RANDOM_MAX = (1n << 80n) - 1n;

export function createUlidFactory(options: UlidFactoryOptions = {}): UlidFactory {
  const now = options.now ?? Date.now;
  const fill = options.random ?? ((buffer: Uint8Array) => randomFillSync(buffer));
  const bytes = new Uint8Array(10);
  let lastTime = -1;
  let lastRandom = 0n;

  const freshRandom = (): bigint => {
    fill(bytes);
    let value = 0n;
    for (const byte of bytes) value = (value << 8n) | BigInt(byte);
    return value;
  };

  return () => {
    let time = now();
    if (!Number.isInteger(time) || time < 0 || time > MAX_TIME) {
      throw new RangeError(`ulid time must be an integer in [0, 2^48): got ${time}`);
    }
    if (time <= lastTime) {
      time = lastTime;
      if (lastRandom === RANDOM_MAX) {
        // The spec says to fail here; moving one millisecond ahead keeps ids unique and ordered
        // instead. Needs 2^80 ids in one millisecond or a random start at the very top.
        time = lastTime + 1;
        lastRandom = freshRandom();
      } else {
        lastRandom += 1n;
      }
    } else {
      lastRandom = freshRandom();
    }
    lastTime = time;
    return encodeTime(time) + encodeRandom(lastRandom);
  };
}

/** Process-wide monotonic generator. */
export const ulid: UlidFactory = createUlidFactory();

/** The millisecond timestamp encoded in a ULID (either case). */
export function ulidTime(id: string): number {
  if (!/^[0-7][0-9A-HJKMNP-TV-Z]{25}$/i.test(id)) throw new RangeError('not a ULID');
  let time = 0;
  for (const char of id.slice(0, TIME_CHARS).toUpperCase()) {
    time = time * 32 + ALPHABET.indexOf(char);
  }
  return time;
}

function encodeTime(time: number): string {
  let out = '';
  for (let i = 0; i < TIME_CHARS; i++) {
    out = ALPHABET.charAt(time % 32) + out;
    time = Math.floor(time / 32);
  }
  return out;
}

function encodeRandom(value: bigint): string {
  let out = '';
  for (let i = 0; i < RANDOM_CHARS; i++) {
    out = ALPHABET.charAt(Number(value & 31n)) + out;
    value >>= 5n;
  }
  return out;
}

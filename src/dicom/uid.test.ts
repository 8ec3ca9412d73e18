import { describe, expect, it } from 'vitest';
import { isValidUid } from './uid.js';

describe('isValidUid', () => {
  it.each(['1.2.840.10008.1.2', '0', '1.0.3', '2.25.329800735698586629295641978511506172918'])(
    'accepts %s',
    (uid) => {
      expect(isValidUid(uid)).toBe(true);
    },
  );

  it.each(['', '1.02.3', '1..2', '.1', '1.', '1.2a', '1.2 ', `1.${'2'.repeat(63)}`])(
    'refuses "%s"',
    (uid) => {
      expect(isValidUid(uid)).toBe(false);
    },
  );
});

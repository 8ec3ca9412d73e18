import { describe, expect, it } from 'vitest';
import { PreparedStatements } from './prepared-statements.js';

describe('PreparedStatements', () => {
  it('#13: prepares a text from its second use on, and no more texts than its limit', () => {
    const statements = new PreparedStatements(2);
    expect(statements.shouldPrepare('a')).toBe(false);
    expect(statements.shouldPrepare('a')).toBe(true);
    expect(statements.shouldPrepare('a')).toBe(true);
    expect(statements.shouldPrepare('b')).toBe(false);
    expect(statements.shouldPrepare('b')).toBe(true);
    // The limit is reached: a third repeating text stays unprepared, the first two stay prepared.
    expect(statements.shouldPrepare('c')).toBe(false);
    expect(statements.shouldPrepare('c')).toBe(false);
    expect(statements.shouldPrepare('a')).toBe(true);
    expect(statements.size).toBe(2);
  });

  it('#13: texts used once are forgotten in bulk, so they cannot grow without bound', () => {
    const statements = new PreparedStatements(10, 3);
    for (const text of ['x', 'y', 'z', 'w']) expect(statements.shouldPrepare(text)).toBe(false);
    // x was forgotten when w arrived; w was kept.
    expect(statements.shouldPrepare('x')).toBe(false);
    expect(statements.shouldPrepare('w')).toBe(true);
  });
});

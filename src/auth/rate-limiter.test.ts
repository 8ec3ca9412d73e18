import { describe, expect, it } from 'vitest';
import { FakeClock } from '../lib/clock.js';
import { RateLimiter } from './rate-limiter.js';

describe('RateLimiter', () => {
  it('admits `limit` attempts per window per key, then says when to come back', () => {
    const clock = new FakeClock(new Date('2026-01-01T00:00:00Z'));
    const limiter = new RateLimiter({ limit: 3, windowMs: 60_000 }, clock);
    for (let i = 0; i < 3; i++) expect(limiter.take('a').admitted).toBe(true);
    clock.advance(10_000);
    const refused = limiter.take('a');
    expect(refused).toEqual({ admitted: false, retryAfterSeconds: 50 });
    expect(limiter.take('b').admitted).toBe(true);
    clock.advance(50_001);
    expect(limiter.take('a').admitted).toBe(true);
  });

  it('a limit of 0 admits everything; reset forgets a key; the key count is bounded', () => {
    const clock = new FakeClock();
    expect(new RateLimiter({ limit: 0, windowMs: 1000 }, clock).take('x').admitted).toBe(true);
    const limiter = new RateLimiter({ limit: 1, windowMs: 60_000 }, clock, 2);
    limiter.take('a');
    expect(limiter.take('a').admitted).toBe(false);
    limiter.reset('a');
    expect(limiter.take('a').admitted).toBe(true);
    limiter.take('b');
    limiter.take('c'); // pushes out 'a', the least recently used
    expect(limiter.take('a').admitted).toBe(true);
  });
});

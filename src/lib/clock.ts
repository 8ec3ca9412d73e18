/**
 * Wall-clock time, injectable. Code that decides by age (HSM policies, claim leases) asks a
 * Clock instead of calling `new Date()` or SQL `now()`, so tests can move time with FakeClock and
 * the SQL receives that time as a parameter.
 */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock that moves only when told to (tests). */
export class FakeClock implements Clock {
  #ms: number;

  constructor(start: Date = new Date()) {
    this.#ms = start.getTime();
  }

  now(): Date {
    return new Date(this.#ms);
  }

  advance(ms: number): void {
    this.#ms += ms;
  }

  advanceDays(days: number): void {
    this.advance(days * 86_400_000);
  }

  set(at: Date): void {
    this.#ms = at.getTime();
  }
}

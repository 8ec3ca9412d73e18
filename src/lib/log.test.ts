import { describe, expect, it } from 'vitest';
import { createLogger, safeError } from './log.js';

const NAME = 'SMITH^JOHN';
const UID = '1.2.826.0.1.3680043.2.1125.42';
const MRN = 'MRN-0042';

/** A driver error as postgres.js / PGlite raise it: SQLSTATE in `code`, values in the message. */
function driverError(): Error {
  return Object.assign(new Error(`invalid input syntax for type date: "${NAME}"`), {
    name: 'PostgresError',
    code: '22007',
    detail: `Key (sop_instance_uid)=(${UID}) already exists.`,
  });
}

/** drizzle's wrapper: the SQL and every parameter in a multi-line message, the driver as cause. */
class DrizzleQueryError extends Error {
  constructor(cause: Error) {
    super(`Failed query: select * from patients where name = $1\nparams: ${NAME},${UID},${MRN}`, {
      cause,
    });
    this.name = 'DrizzleQueryError';
  }
}

function logged(fields: Record<string, unknown>): { line: string; entry: Record<string, unknown> } {
  const lines: string[] = [];
  createLogger('debug', (l) => lines.push(l)).error('request failed', fields);
  return { line: lines[0]!, entry: JSON.parse(lines[0]!) as Record<string, unknown> };
}

describe('log', () => {
  it('keeps class, code, SQL state and stack frames of an error and its cause, never a message', () => {
    const { line, entry } = logged({
      requestId: 'r1',
      error: new DrizzleQueryError(driverError()),
    });
    for (const secret of [NAME, 'SMITH', UID, MRN, 'Failed query', 'params', 'invalid input']) {
      expect(line).not.toContain(secret);
    }
    const error = entry['error'] as Record<string, unknown>;
    expect(error['name']).toBe('DrizzleQueryError');
    expect(error['cause']).toMatchObject({ name: 'PostgresError', code: '22007' });
    expect(Object.keys(error['cause'] as object).sort()).toEqual(['code', 'name', 'stack']);
    // Frames survive (they point at code): the first one is this test file.
    expect(error['stack']).toMatch(/^ {4}at .*log\.test\.ts/);
  });

  it('drops a message line that imitates a stack frame', () => {
    const sneaky = new Error(`bad value\n    at ${NAME} (file:///x.js:1:1)`);
    const { line } = logged({ error: sneaky });
    expect(line).not.toContain('SMITH');
  });

  it('drops our own messages too, keeping the code', () => {
    const ours = Object.assign(new Error(`render parameter "${NAME}" is not a number`), {
      code: 'imaging.bad_parameter',
    });
    const { line, entry } = logged({ error: ours });
    expect(line).not.toContain('SMITH');
    expect(entry['error']).toMatchObject({ name: 'Error', code: 'imaging.bad_parameter' });
  });

  it('reduces whatever the error field holds, a thrown string included', () => {
    const { line, entry } = logged({ error: NAME });
    expect(line).not.toContain('SMITH');
    expect(entry['error']).toEqual({ thrown: 'string' });
  });

  it('reduces a thrown non-Error and the members of an AggregateError to what they are', () => {
    expect(safeError(NAME)).toEqual({ thrown: 'string' });
    const aggregate = Object.assign(new AggregateError([driverError(), NAME], UID), {
      code: 'ECONNREFUSED',
    });
    const safe = JSON.stringify(safeError(aggregate));
    expect(safe).not.toContain('SMITH');
    expect(safe).not.toContain(UID);
    expect(safeError(aggregate)).toMatchObject({
      name: 'AggregateError',
      code: 'ECONNREFUSED',
      errors: [{ name: 'PostgresError', code: '22007' }, { thrown: 'string' }],
    });
  });
});

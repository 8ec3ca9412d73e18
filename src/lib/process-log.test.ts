import { describe, expect, it } from 'vitest';
import { createLogger } from './log.js';
import { installProcessLog } from './process-log.js';

/** Our listener for `event` (the last one added), called directly: emitting it would reach the test runner's own. */
function lastListener(event: 'uncaughtException' | 'unhandledRejection') {
  const listeners =
    event === 'uncaughtException'
      ? process.listeners('uncaughtException')
      : process.listeners('unhandledRejection');
  return listeners.at(-1) as (error: unknown) => void;
}

describe('installProcessLog', () => {
  it('writes one line per uncaught error and exits with 1 by default', () => {
    const lines: string[] = [];
    const exits: number[] = [];
    const restore = installProcessLog(
      createLogger('debug', (line) => lines.push(line)),
      {
        exit: (code) => exits.push(code),
      },
    );
    try {
      lastListener('uncaughtException')(new Error('secret 1.2.840.99'));
      lastListener('unhandledRejection')(new Error('secret too'));
    } finally {
      restore();
    }
    expect(exits).toEqual([1, 1]);
    expect(lines.map((line) => (JSON.parse(line) as { msg: string }).msg)).toEqual([
      'uncaught exception',
      'unhandled rejection',
    ]);
    expect(lines.join('\n')).not.toContain('secret');
  });

  it('lets the caller report the error and choose the exit code', () => {
    const reported: [string, unknown][] = [];
    const exits: number[] = [];
    const error = new Error('abort');
    const restore = installProcessLog(createLogger('silent'), {
      report: (label, e) => (reported.push([label, e]), 7),
      exit: (code) => exits.push(code),
    });
    try {
      lastListener('uncaughtException')(error);
    } finally {
      restore();
    }
    expect(reported).toEqual([['uncaught exception', error]]);
    expect(exits).toEqual([7]);
  });
});

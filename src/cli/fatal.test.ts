import { describe, expect, it } from 'vitest';
import { IndexAbortedError, IndexDiskFullError } from '../index/errors.js';
import { createLogger } from '../lib/log.js';
import { explainIndexAbort, logFatal } from './fatal.js';

const RuntimeError = (globalThis as unknown as { WebAssembly: { RuntimeError: ErrorConstructor } })
  .WebAssembly.RuntimeError;
const disk = { dataDir: '/var/lib/strata/index', minFreeBytes: 1024 * 1024 };

function capture() {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger('debug', (line) =>
    lines.push(JSON.parse(line) as Record<string, unknown>),
  );
  return { log, lines };
}

describe('explainIndexAbort', () => {
  it('puts an abort of the embedded index down to a full disk when its directory has no room', () => {
    const abort = new IndexAbortedError({ cause: new RuntimeError('Aborted()') });
    const explained = explainIndexAbort(abort, disk, () => 4096);
    expect(explained).toBeInstanceOf(IndexDiskFullError);
    expect((explained as IndexDiskFullError).dataDir).toBe(disk.dataDir);
    // The bare trap too (an abort escaping outside a statement).
    const trap = new RuntimeError('Aborted()');
    expect(explainIndexAbort(trap, disk, () => 0)).toBeInstanceOf(IndexDiskFullError);
  });

  it('leaves the abort as it is with room on the disk, any other error, and a PostgreSQL index', () => {
    const abort = new IndexAbortedError({ cause: new RuntimeError('Aborted()') });
    expect(explainIndexAbort(abort, disk, () => 10 * 1024 ** 3)).toBe(abort);
    const other = new Error('boom');
    expect(explainIndexAbort(other, disk, () => 0)).toBe(other);
    expect(explainIndexAbort(abort, undefined, () => 0)).toBe(abort);
    const unreadable = () => {
      throw Object.assign(new Error('gone'), { code: 'ENOENT' });
    };
    expect(explainIndexAbort(abort, disk, unreadable)).toBe(abort);
  });
});

describe('logFatal', () => {
  it('writes the disk-full line naming the directory for an explained abort, exit 1', () => {
    const { log, lines } = capture();
    const abort = new IndexAbortedError({ cause: new RuntimeError('Aborted()') });
    const code = logFatal(
      log,
      explainIndexAbort(abort, disk, () => 0),
      'index aborted',
    );
    expect(code).toBe(1);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 'error',
      code: 'index.disk_full',
      dataDir: disk.dataDir,
    });
    expect(String(lines[0]!['msg'])).toMatch(/disk .* is full/);
  });

  it('names an abort with room on the disk by its label and class, exit 1', () => {
    const { log, lines } = capture();
    const abort = new IndexAbortedError({ cause: new RuntimeError('Aborted()') });
    expect(logFatal(log, abort, 'index aborted')).toBe(1);
    expect(lines[0]).toMatchObject({ level: 'error', msg: 'index aborted' });
    expect(JSON.stringify(lines[0])).toContain('index.aborted');
  });
});

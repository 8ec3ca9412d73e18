import { describe, expect, it } from 'vitest';
import { StorageFullError, StorageUnavailableError } from './errors.js';
import { fsFailure, isOutOfSpace } from './fs-errors.js';

const fsError = (code: string) => Object.assign(new Error(`${code}: write`), { code });

describe('fsFailure', () => {
  it('maps a full device, a spent quota and a file size limit to storage.full', () => {
    for (const code of ['ENOSPC', 'EDQUOT', 'EFBIG']) {
      const mapped = fsFailure(fsError(code), 'writing blob k');
      expect(mapped, code).toBeInstanceOf(StorageFullError);
      expect(isOutOfSpace(fsError(code))).toBe(true);
    }
  });

  it('maps other fs errors to storage.unavailable', () => {
    expect(fsFailure(fsError('EIO'), 'writing blob k')).toBeInstanceOf(StorageUnavailableError);
    expect(isOutOfSpace(fsError('EIO'))).toBe(false);
  });
});

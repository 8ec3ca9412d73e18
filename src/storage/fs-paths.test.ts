import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { InvalidBlobKeyError } from './errors.js';
import { assertInsideRoot, blobPath, directoriesToSync, TEMP_DIR } from './fs-paths.js';

describe('blobPath', () => {
  it('maps key segments to nested paths under the root', () => {
    expect(blobPath('/data/blobs', '3f/01jd2x')).toBe(path.join('/data/blobs', '3f', '01jd2x'));
    expect(blobPath('/data/blobs', '..a/b..')).toBe(path.join('/data/blobs', '..a', 'b..'));
  });

  it('refuses unsafe keys and the temp directory', () => {
    for (const key of ['../x', '/abs', TEMP_DIR, `${TEMP_DIR}/x`]) {
      expect(() => blobPath('/data/blobs', key)).toThrow(InvalidBlobKeyError);
    }
  });
});

describe('assertInsideRoot', () => {
  it('accepts paths strictly below the root', () => {
    expect(() => assertInsideRoot('/data/blobs', '/data/blobs/a/b')).not.toThrow();
    expect(() => assertInsideRoot('/data/blobs/', '/data/blobs/..a')).not.toThrow();
  });

  it('refuses the root itself, siblings sharing its name, and anything above', () => {
    for (const target of ['/data/blobs', '/data/blobs2/x', '/data', '/data/blobs/../x', '/etc']) {
      expect(() => assertInsideRoot('/data/blobs', target)).toThrow(InvalidBlobKeyError);
    }
  });
});

describe('directoriesToSync', () => {
  it('syncs only the final directory when nothing was created', () => {
    expect(directoriesToSync('/r/aa/key', undefined)).toEqual(['/r/aa']);
  });

  it('syncs every created directory and the existing parent of the first one', () => {
    expect(directoriesToSync('/r/a/b/c/key', '/r/a')).toEqual(['/r/a/b/c', '/r/a/b', '/r/a', '/r']);
    expect(directoriesToSync('/r/aa/key', '/r/aa')).toEqual(['/r/aa', '/r']);
  });
});

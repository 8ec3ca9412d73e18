import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bodyOf, describeBlobStoreContract, readAll, testBytes } from './blob-store.contract.js';
import { InvalidBlobKeyError, StorageUnavailableError } from './errors.js';
import { FsBlobStore } from './fs-blob-store.js';
import { TEMP_DIR } from './fs-paths.js';

async function tempRoot(): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), 'strata-fs-blob-'));
}

describeBlobStoreContract('fs', async () => {
  const root = await tempRoot();
  const store = await FsBlobStore.open({ root: path.join(root, 'blobs') });
  return { store, cleanup: () => fs.rm(root, { recursive: true, force: true }) };
});

describe('FsBlobStore', () => {
  let dir: string;
  let root: string;
  beforeEach(async () => {
    dir = await tempRoot();
    root = path.join(dir, 'nested', 'blobs');
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  const tempFiles = () => fs.readdir(path.join(root, TEMP_DIR));

  it('probes ok while its root serves, unavailable once the root is gone or a file', async () => {
    const store = await FsBlobStore.open({ root });
    await expect(store.probe()).resolves.toBeUndefined();
    await fs.rm(root, { recursive: true });
    await expect(store.probe()).rejects.toBeInstanceOf(StorageUnavailableError);
    await fs.writeFile(root, 'not a directory');
    await expect(store.probe()).rejects.toBeInstanceOf(StorageUnavailableError);
  });

  it('creates a missing root, stores one file per key under it', async () => {
    const store = await FsBlobStore.open({ root });
    await store.put('3f/01jd2x', bodyOf(Buffer.from('bytes')));
    expect(await fs.readFile(path.join(root, '3f', '01jd2x'), 'utf8')).toBe('bytes');
    expect(await tempFiles()).toEqual([]);
  });

  it('sweeps temp files of interrupted puts at open', async () => {
    await fs.mkdir(path.join(root, TEMP_DIR), { recursive: true });
    await fs.writeFile(path.join(root, TEMP_DIR, '01jd2xleftover.part'), 'half a blob');
    await FsBlobStore.open({ root });
    expect(await tempFiles()).toEqual([]);
  });

  it('keeps temp files younger than tempSweepGraceMs', async () => {
    await fs.mkdir(path.join(root, TEMP_DIR), { recursive: true });
    await fs.writeFile(path.join(root, TEMP_DIR, 'in-flight.part'), 'another process');
    await FsBlobStore.open({ root, tempSweepGraceMs: 60_000 });
    expect(await tempFiles()).toEqual(['in-flight.part']);
  });

  it('never shows a crash-left temp file as a key', async () => {
    const store = await FsBlobStore.open({ root });
    await store.put('aa/real', bodyOf(Buffer.from('x')));
    // A put that crashed after fsync but before link leaves a whole file under .tmp/.
    await fs.writeFile(path.join(root, TEMP_DIR, '01jd2xcrashed.part'), 'complete bytes');
    const listed: string[] = [];
    for await (const key of store.list()) listed.push(key);
    expect(listed).toEqual(['aa/real']);
    for await (const key of store.list(`${TEMP_DIR}/`)) listed.push(key);
    expect(listed).toEqual(['aa/real']);
    await expect(store.exists(`${TEMP_DIR}/01jd2xcrashed.part`)).rejects.toBeInstanceOf(
      InvalidBlobKeyError,
    );
  });

  it('removes its temp file when the body fails or the put is aborted', async () => {
    const store = await FsBlobStore.open({ root });
    const failing = new PassThrough();
    failing.write(testBytes(50_000));
    setImmediate(() => failing.destroy(new Error('boom')));
    await expect(store.put('aa/failed', failing)).rejects.toThrow();

    const controller = new AbortController();
    const slow = new PassThrough();
    slow.write(testBytes(50_000));
    setTimeout(() => controller.abort(), 10);
    await expect(store.put('aa/aborted', slow, { signal: controller.signal })).rejects.toThrow();

    expect(await tempFiles()).toEqual([]);
    await expect(fs.access(path.join(root, 'aa', 'failed'))).rejects.toThrow();
  });

  it('refuses keys that would escape the root, and writes nothing outside it', async () => {
    const store = await FsBlobStore.open({ root });
    for (const key of ['../escape', '../../escape', 'aa/../../escape', '/tmp/escape', '..']) {
      await expect(store.put(key, bodyOf(Buffer.from('x')))).rejects.toBeInstanceOf(
        InvalidBlobKeyError,
      );
    }
    expect((await fs.readdir(path.dirname(root))).sort()).toEqual(['blobs']);
  });

  it('reserves the temp directory name as a first key segment', async () => {
    const store = await FsBlobStore.open({ root });
    await expect(store.put(`${TEMP_DIR}/x`, bodyOf(Buffer.from('x')))).rejects.toBeInstanceOf(
      InvalidBlobKeyError,
    );
    await expect(store.put('aa/.tmp', bodyOf(Buffer.from('x')))).resolves.toMatchObject({
      size: 1,
    });
  });

  it('refuses a key that is a directory of other keys, or lies below a blob', async () => {
    const store = await FsBlobStore.open({ root });
    await store.put('aa/bb', bodyOf(Buffer.from('x')));
    await expect(store.put('aa', bodyOf(Buffer.from('y')))).rejects.toBeInstanceOf(
      InvalidBlobKeyError,
    );
    await expect(store.put('aa/bb/cc', bodyOf(Buffer.from('y')))).rejects.toBeInstanceOf(
      InvalidBlobKeyError,
    );
    expect(await store.exists('aa')).toBe(false);
    await store.delete('aa');
    expect((await readAll(await store.get('aa/bb'))).toString()).toBe('x');
  });

  it('skips symlinks and stray files with non-key names when listing', async () => {
    const store = await FsBlobStore.open({ root });
    await store.put('aa/key', bodyOf(Buffer.from('x')));
    await fs.symlink('/etc/hostname', path.join(root, 'aa', 'link'));
    await fs.writeFile(path.join(root, 'aa', 'UPPER'), 'stray');
    const listed: string[] = [];
    for await (const key of store.list()) listed.push(key);
    expect(listed).toEqual(['aa/key']);
  });

  it('wraps fs failures as StorageUnavailableError with the fs error as cause', async () => {
    const store = await FsBlobStore.open({ root });
    await fs.rm(path.join(root, TEMP_DIR), { recursive: true }); // temp files can't be created
    const error = await store.put('aa/key', bodyOf(Buffer.from('x'))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageUnavailableError);
    expect((error as Error).cause).toMatchObject({ code: 'ENOENT' });
    expect(await store.exists('aa/key')).toBe(false);
  });
});

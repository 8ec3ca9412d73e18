import { describe, expect, it } from 'vitest';
import type { Db } from '../index/db.js';
import type { BlobStore } from '../storage/blob-store.js';
import { MemoryBlobStore } from '../storage/memory-blob-store.js';
import { Readiness } from './readiness.js';

const answeringDb = { execute: () => Promise.resolve([]) } as unknown as Db;
const coded = (code: string) => Object.assign(new Error('no'), { code });

function store(name: string, probe?: () => Promise<void>): BlobStore {
  return Object.assign(new MemoryBlobStore(name), probe ? { probe } : {});
}

describe('Readiness', () => {
  it('is ready when the index and every tier answer (a tier without probe: a lookup)', async () => {
    const stores = new Map([
      ['hot', store('hot')],
      ['cold', store('cold', () => Promise.resolve())],
    ]);
    const readiness = new Readiness({ db: answeringDb, stores, timeoutMs: 1000 });
    expect(await readiness.check()).toEqual({
      ready: true,
      checks: [
        { name: 'index', ok: true },
        { name: 'tier:hot', ok: true },
        { name: 'tier:cold', ok: true },
      ],
    });
  });

  it('names each failing check with our code, `timeout`, or `failed` for foreign errors', async () => {
    const stores = new Map([
      ['slow', store('slow', () => new Promise<void>(() => {}))],
      ['down', store('down', () => Promise.reject(coded('storage.unavailable')))],
      ['odd', store('odd', () => Promise.reject(coded('EACCES /secret/path')))],
    ]);
    const db = { execute: () => Promise.reject(coded('index.unavailable')) } as unknown as Db;
    const readiness = new Readiness({ db, stores, timeoutMs: 50 });
    expect(await readiness.check()).toEqual({
      ready: false,
      checks: [
        { name: 'index', ok: false, code: 'index.unavailable' },
        { name: 'tier:slow', ok: false, code: 'timeout' },
        { name: 'tier:down', ok: false, code: 'storage.unavailable' },
        { name: 'tier:odd', ok: false, code: 'failed' },
      ],
    });
  });
});

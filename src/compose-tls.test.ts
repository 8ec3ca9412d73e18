import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTlsFiles } from './compose-tls.js';
import { loadConfig } from './config/config.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'strata-tls-files-'));
  await writeFile(join(dir, 'cert.pem'), 'CERT');
  await writeFile(join(dir, 'key.pem'), 'KEY');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const read = (env: Record<string, string>) => readTlsFiles(loadConfig(env));

describe('readTlsFiles', () => {
  it('is plain HTTP without either file', () => {
    expect(read({})).toBeUndefined();
  });

  it('reads both files', () => {
    const files = read({
      TLS_CERT_FILE: join(dir, 'cert.pem'),
      TLS_KEY_FILE: join(dir, 'key.pem'),
    });
    expect(files?.cert.toString()).toBe('CERT');
    expect(files?.key.toString()).toBe('KEY');
  });

  it('#12: refuses one file without the other, naming the missing variable', () => {
    expect(() => read({ TLS_CERT_FILE: join(dir, 'cert.pem') })).toThrow(/^TLS_KEY_FILE: /);
    expect(() => read({ TLS_KEY_FILE: join(dir, 'key.pem') })).toThrow(/^TLS_CERT_FILE: /);
  });

  it('names the variable of a file it cannot read', () => {
    expect(() =>
      read({ TLS_CERT_FILE: join(dir, 'cert.pem'), TLS_KEY_FILE: join(dir, 'absent.pem') }),
    ).toThrow(/^TLS_KEY_FILE: cannot read .*absent\.pem \(ENOENT\)/);
  });
});

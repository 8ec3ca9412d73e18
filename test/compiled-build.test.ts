import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startChildServer, type ChildServer } from './helpers/child-server.js';
import { makeInstance } from './helpers/make-dicom.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
// The build is the same whatever the index: run it once, with the PGlite suites.
const once = process.env['STRATA_TEST_DB'] !== 'postgres';

describe.runIf(once)('#13: the compiled build (`npm start`, the container)', () => {
  const out = `dist-test-${process.pid}`;
  let dataDir: string;
  let server: ChildServer | undefined;

  beforeAll(async () => {
    await promisify(execFile)(process.execPath, ['bin/build.mjs', out], { cwd: ROOT });
    dataDir = await mkdtemp(join(tmpdir(), 'strata-compiled-'));
    server = await startChildServer({ DATA_DIR: dataDir }, { entry: [join(out, 'main.js')] });
  }, 180_000);
  afterAll(async () => {
    await server?.stop();
    await rm(join(ROOT, out), { recursive: true, force: true });
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('#13: runs without a TypeScript loader, stores, and renders in its worker threads', async () => {
    const cmdline = await readFile(`/proc/${server!.process.pid}/cmdline`, 'utf8');
    expect(cmdline.split('\0')).toEqual([process.execPath, join(out, 'main.js'), 'serve', '']);
    const instance = makeInstance({ pixelBytes: 64 * 64 * 2 });
    const stored = await fetch(`${server!.base}/studies`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/dicom' },
      body: instance.bytes,
    });
    expect(stored.status).toBe(200);
    const { studyInstanceUid: study, seriesInstanceUid: series, sopInstanceUid: sop } = instance;
    const url = `${server!.base}/studies/${study}/series/${series}/instances/${sop}`;
    const rendered = await fetch(`${url}/rendered`, { headers: { Accept: 'image/png' } });
    expect(rendered.status).toBe(200);
    expect(rendered.headers.get('content-type')).toBe('image/png');
    const png = new Uint8Array(await rendered.arrayBuffer());
    expect([...png.subarray(1, 4)].map((b) => String.fromCharCode(b)).join('')).toBe('PNG');
    const back = await fetch(url, { headers: { Accept: 'application/dicom' } });
    expect(
      Buffer.from(await back.arrayBuffer())
        .subarray(132)
        .equals(instance.bytes.subarray(132)),
    ).toBe(true);
  });
});

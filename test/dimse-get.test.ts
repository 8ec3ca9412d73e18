import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import dcmjs from 'dcmjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryAuditSink } from '../src/audit/testing/memory-sink.js';
import { dcmtk, peerArgs } from './helpers/dcmtk.js';
import { requireTools } from './helpers/dimse-peers.js';
import { stow } from './helpers/multipart.js';
import { sampleBytes, samples, samplesAvailable } from './helpers/samples.js';
import { startTestServer, testDb, type TestServer } from './helpers/server.js';

/**
 * #15 C-GET SCP with dcmtk getscu: the instances come back on the caller's own association.
 * getscu proposes uncompressed syntaxes only, so the JPEG and RLE instances of the study arrive
 * decoded (Explicit or Implicit VR LE) with their attributes, the native ones as stored.
 */
const STUDY = '1.2.826.0.1.3680043.8.498.12406831542731051035295345080039845114';
const run = samplesAvailable && requireTools('getscu');
const files = samples.filter((s) => s.study_instance === STUDY && s.expect === 'store');

function read(bytes: Buffer): { meta: any; dict: any } {
  const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  return dcmjs.data.DicomMessage.readFile(ab as ArrayBuffer);
}

describe.runIf(run)(`#15 C-GET SCP (${testDb})`, () => {
  let server: TestServer;
  let out: string;
  const sink = new MemoryAuditSink();
  const events = sink.events;

  beforeAll(async () => {
    out = await mkdtemp(join(tmpdir(), 'strata-get-'));
    server = await startTestServer(
      { DIMSE_PORT: '0', DIMSE_REMOTE_AES: 'GETSCU@127.0.0.1:1' },
      { audit: sink },
    );
    const stored = await stow(
      `${server.base}/studies`,
      files.map((f) => ({ body: sampleBytes(f.file) })),
    );
    expect(stored.status).toBe(200);
  });
  afterAll(async () => {
    await server?.close();
    if (out) await rm(out, { recursive: true, force: true });
  });

  it('returns every instance of a study on the same association, converted where needed', async () => {
    const result = await dcmtk('getscu', [
      '-v',
      '-S',
      '-od',
      out,
      '-k',
      'QueryRetrieveLevel=STUDY',
      '-k',
      `StudyInstanceUID=${STUDY}`,
      ...peerArgs(server.dimse!.port, 'GETSCU'),
    ]);
    const log = result.stdout + result.stderr;
    expect(result.code, log).toBe(0);
    expect(log).toMatch(/Final Get Response \(Success\)|Received Final C-GET Response|Success/);
    const names = await readdir(out);
    expect(names, log).toHaveLength(files.length);
    const got = new Map<string, ReturnType<typeof read>>();
    for (const name of names) {
      const parsed = read(await readFile(join(out, name)));
      got.set(String(parsed.dict['00080018'].Value[0]), parsed);
    }
    for (const f of files) {
      const parsed = got.get(f.sop_instance!);
      expect(parsed, f.file).toBeDefined();
      expect(['1.2.840.10008.1.2', '1.2.840.10008.1.2.1']).toContain(
        parsed!.meta['00020010'].Value[0],
      );
      const original = read(sampleBytes(f.file));
      for (const tag of ['0020000D', '0020000E', '00280010', '00280011'])
        expect(parsed!.dict[tag]?.Value, `${f.file} ${tag}`).toEqual(original.dict[tag]?.Value);
    }
    expect(
      events.some((e) => e.type === 'instances-transferred' && e.user?.id === 'ae:GETSCU'),
    ).toBe(true);
  });

  it('answers an identifier without its level keys with A900', async () => {
    const result = await dcmtk('getscu', [
      '-v',
      '-S',
      '-od',
      out,
      '-k',
      'QueryRetrieveLevel=IMAGE',
      '-k',
      `StudyInstanceUID=${STUDY}`,
      ...peerArgs(server.dimse!.port, 'GETSCU'),
    ]);
    expect(result.stdout + result.stderr).toMatch(/DataSetDoesNotMatchSOPClass|a900/i);
  });
});

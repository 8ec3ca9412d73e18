import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryAuditSink } from '../src/audit/testing/memory-sink.js';
import { samplePath } from '../src/dicom/testing/samples.js';
import { findInstance } from '../src/index/current-instance.repository.js';
import { dcmtk, dcmtkAvailable, peerArgs } from './helpers/dcmtk.js';
import { sampleBytes, samples, samplesAvailable } from './helpers/samples.js';
import { get } from './helpers/wado-multipart.js';
import { startTestServer, testDb, type TestServer } from './helpers/server.js';

/**
 * #15: every sample file through dcmtk's storescu into the DIMSE port: the same ingest as STOW
 * (stored bytes, duplicates, audit 110104), statuses for what is refused, nothing lost when an
 * association is cut.
 */
const EXPLICIT_LE = '1.2.840.10008.1.2.1';
/** Compressed syntaxes arrive as they are; storescu may convert uncompressed ones. */
const asIs = (ts: string | null) => ts !== null && !UNCOMPRESSED.includes(ts);

/**
 * storescu proposes the uncompressed syntaxes plus, with these options, one compressed syntax:
 * the file's, so it is sent as it is. HTJ2K has no storescu option (dcmtk 3.6.7); dcmsend, which
 * proposes each file's own syntax, sends it.
 */
const PROPOSE: Record<string, string> = {
  '1.2.840.10008.1.2.1.99': '-xd',
  '1.2.840.10008.1.2.4.50': '-xy',
  '1.2.840.10008.1.2.4.51': '-xx',
  '1.2.840.10008.1.2.4.70': '-xs',
  '1.2.840.10008.1.2.4.80': '-xt',
  '1.2.840.10008.1.2.4.81': '-xu',
  '1.2.840.10008.1.2.4.90': '-xv',
  '1.2.840.10008.1.2.4.91': '-xw',
  '1.2.840.10008.1.2.5': '-xr',
};
const UNCOMPRESSED = ['1.2.840.10008.1.2', EXPLICIT_LE, '1.2.840.10008.1.2.2'];

/** Sends one file the way a modality would; resolves with the store responses seen. */
async function send(port: number, file: string, ts: string | null): Promise<string[]> {
  if (ts !== null && !UNCOMPRESSED.includes(ts) && PROPOSE[ts] === undefined) {
    const r = await dcmtk('dcmsend', ['-v', '-dn', ...peerArgs(port), samplePath(file)]);
    // dcmsend logs "Received C-STORE Response ... (Success)" per instance.
    return [...(r.stdout + r.stderr).matchAll(/Received C-STORE Response[^\n]*?\(([^)]*)\)/g)].map(
      (m) => m[1]!,
    );
  }
  // -R: propose the file's SOP class (storescu's built-in list lacks the newer ones).
  const option = ts === null ? [] : (PROPOSE[ts] ?? []);
  const r = await dcmtk('storescu', [
    '-v',
    '-R',
    ...[option].flat(),
    ...peerArgs(port),
    samplePath(file),
  ]);
  return storeResponses(r.stdout + r.stderr);
}

/**
 * The dataset as dcmtk's dcmdump reads it, without what an encoder may change: the meta group,
 * group lengths, the explicit/undefined length of sequences and items and their delimiters.
 */
async function dump(file: string): Promise<{ syntax: string | undefined; lines: string[] }> {
  const { stdout } = await dcmtk('dcmdump', ['-q', '+L', '-Un', file]);
  const syntax = /^\(0002,0010\) UI \[([0-9.]+)/m.exec(stdout)?.[1];
  const lines = stdout
    .split('\n')
    .filter(
      (line) =>
        !/^\s*(\(0002,|#|$)|^\s*\([0-9a-f]{4},0000\)|\(fffe,e0[0d]d\)|\(fffc,fffc\)/.test(line),
    )
    .map((line) =>
      line
        .replace(/#.*$/, '')
        .replace(/with (explicit|undefined) length /, '')
        // A private element of unknown VR: ?? read from Implicit VR, UN once sent explicit.
        .replace(/^(\s*\([0-9a-f]{4},[0-9a-f]{4}\)) (\?\?|UN) /, '$1 ?? ')
        .trimEnd(),
    );
  return { syntax, lines };
}

/** storescu's verdict per file, from its verbose log. */
function storeResponses(output: string): string[] {
  return [...output.matchAll(/Received Store Response \(([^)]*)\)/g)].map((m) => m[1]!);
}

describe.skipIf(!dcmtkAvailable || !samplesAvailable)(`#15 C-STORE SCP (${testDb})`, () => {
  let server: TestServer;
  let port: number;
  const sink = new MemoryAuditSink();
  const events = sink.events;

  beforeAll(async () => {
    server = await startTestServer(
      { DIMSE_PORT: '0', DIMSE_REMOTE_AES: 'TESTSCU@127.0.0.1:1' },
      { audit: sink },
    );
    port = server.dimse!.port;
  });
  afterAll(async () => {
    await server?.close();
  });

  // Good files first: the truncated sample shares its SOP Instance UID with a good one. Two
  // files no dcmtk 3.6.7 tool can send: it cannot read the RT Dose (odd-length OW in RLE) and
  // does not know HTJ2K; STOW stores both (stow-samples.test.ts), and the SCP takes any
  // syntax in the registry (store.test.ts).
  const UNSENDABLE = ['ts-rle_RTDOSE_32bit_15frames.dcm', 'ts-htj2k_SC_rgb.dcm'];
  const stored = samples.filter((s) => s.expect === 'store' && !UNSENDABLE.includes(s.file));
  const refused = samples.filter((s) => s.expect === 'reject' && s.sop_class !== null);

  for (const s of stored) {
    it(`stores ${s.file} and WADO-RS gives it back`, async () => {
      expect(await send(port, s.file, s.ts)).toEqual(['Success']);
      const row = await findInstance(server.database.db, s.sop_instance!);
      expect(row).toBeDefined();
      const url = `${server.base}/studies/${s.study_instance}/series/${s.series_instance}/instances/${s.sop_instance}`;
      const r = await get(url, { Accept: 'application/dicom; transfer-syntax=*' });
      expect(r.status).toBe(200);
      // storescu re-encodes lengths (group lengths dropped, sequences of defined length), so
      // the data are compared as dcmtk reads them; the transfer syntax must be the file's
      // unless storescu converted an uncompressed one to the Explicit VR Little Endian we prefer.
      const dir = await mkdtemp(join(tmpdir(), 'strata-dimse-'));
      try {
        await writeFile(join(dir, 'back.dcm'), r.body);
        const back = await dump(join(dir, 'back.dcm'));
        if (asIs(s.ts)) expect(back.syntax).toBe(s.ts);
        else expect([s.ts, EXPLICIT_LE]).toContain(back.syntax);
        expect(back.lines).toEqual((await dump(samplePath(s.file))).lines);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  }

  for (const s of refused) {
    it(`${s.file} (manifest: reject) is refused and the stored copy stays`, async () => {
      const before = await findInstance(server.database.db, s.sop_instance!);
      // dcmtk will not even read it (truncated): it reaches no SCP. Either way, nothing changes.
      const responses = await send(port, s.file, s.ts);
      expect(responses.filter((r) => r === 'Success')).toEqual([]);
      const after = await findInstance(server.database.db, s.sop_instance!);
      expect(after?.blobKey).toBe(before?.blobKey);
    });
  }

  it('answers a different object under a stored SOP Instance UID with 0111, keeping the first', async () => {
    const s = stored.find((x) => x.file.startsWith('qido-tree/'))!;
    const before = await findInstance(server.database.db, s.sop_instance!);
    const dir = await mkdtemp(join(tmpdir(), 'strata-dimse-'));
    try {
      const copy = join(dir, 'changed.dcm');
      await writeFile(copy, sampleBytes(s.file));
      expect((await dcmtk('dcmodify', ['-nb', '-m', 'StudyDescription=CHANGED', copy])).code).toBe(
        0,
      );
      const r = await dcmtk('storescu', ['-v', ...peerArgs(port), copy]);
      const output = r.stdout + r.stderr;
      expect(storeResponses(output)).toHaveLength(1);
      // 0111 Duplicate SOP Instance (PS3.7 C.4; dcmtk's decoder calls it an unknown failure).
      expect(output).toMatch(/Duplicate SOP Instance|Unknown Status: 0x111\b/i);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    expect((await findInstance(server.database.db, s.sop_instance!))?.blobKey).toBe(
      before?.blobKey,
    );
  });

  it('audits each stored instance as 110104 by the calling AE', () => {
    // Action C (created) or U (replaced); WADO's retrievals are R.
    const transferred = events.filter(
      (e) => e.type === 'instances-transferred' && e.action !== 'R',
    );
    expect(transferred.filter((e) => e.user?.id !== 'ae:TESTSCU')).toEqual([]);
    expect(transferred.length).toBeGreaterThanOrEqual(stored.length);
  });

  it('answers a duplicate as stored (same bytes, STOW duplicate policy)', async () => {
    const s = stored[0]!;
    expect(await send(port, s.file, s.ts)).toEqual(['Success']);
  });

  it('refuses a SOP class that is not a storage class at negotiation', async () => {
    // A Modality Worklist FIND context is no storage class: findscu's association is refused
    // its only context, so it sends nothing.
    const result = await dcmtk('findscu', ['-v', '-W', ...peerArgs(port), '-k', 'PatientName=']);
    expect(result.code).not.toBe(0);
    expect(result.stdout + result.stderr).toMatch(
      /No Acceptable Presentation Contexts|no presentation context/i,
    );
  });

  it('loses nothing already stored when storescu is killed mid-transfer, and stays up', async () => {
    const files = samples
      .filter((s) => s.file.startsWith('qido-tree/'))
      .map((s) => samplePath(s.file));
    const big = samples.find((s) => s.file.startsWith('big-'))!;
    const child = spawn('storescu', [
      '-v',
      '--max-pdu',
      '4096',
      ...peerArgs(port),
      ...files,
      samplePath(big.file),
    ]);
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    // Kill it once a few instances have been acknowledged.
    await new Promise<void>((resolve, reject) => {
      const deadline = setTimeout(() => reject(new Error('storescu acknowledged nothing')), 30_000);
      const poll = setInterval(() => {
        if (storeResponses(output).length >= 3) {
          clearInterval(poll);
          clearTimeout(deadline);
          child.kill('SIGKILL');
          resolve();
        }
      }, 5);
    });
    await new Promise((resolve) => child.once('exit', resolve));
    const acknowledged = storeResponses(output).length;
    // Every acknowledged instance is stored (the acknowledged ones are the first files, in order).
    for (const file of files.slice(0, acknowledged)) {
      const s = samples.find((x) => samplePath(x.file) === file)!;
      expect(await findInstance(server.database.db, s.sop_instance!)).toBeDefined();
    }
    expect((await dcmtk('echoscu', peerArgs(port))).code).toBe(0);
  });
});

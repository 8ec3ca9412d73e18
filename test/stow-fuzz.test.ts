import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stow } from './helpers/multipart.js';
import { sampleBytes, samplesAvailable } from './helpers/samples.js';
import { startTestServer, testDb, type TestServer } from './helpers/server.js';

/**
 * Damaged real files through STOW-RS: bytes flipped in the header, lengths corrupted, files cut
 * at random points. Whatever the damage, the answer is a DICOM response (200/202/409) — never a
 * 500 — and the server keeps serving. Seeded, so a failure reproduces.
 */
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close();
});

function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

const SOURCES = [
  'ts-explicit-le_CT_small.dcm',
  'ts-implicit-le_MR_small.dcm',
  'ts-explicit-be_US_rgb.dcm',
  'ts-deflated_SC.dcm',
  'mf-us-cine_jpeg-baseline_ybr422.dcm',
  'obj-SR_comprehensive_nested.dcm',
  'cs-iso2022-ir87_japanese.dcm',
];

function damage(bytes: Buffer, random: () => number): Buffer {
  const copy = Buffer.from(bytes);
  const kind = Math.floor(random() * 3);
  const headerEnd = Math.min(copy.length, 2048);
  if (kind === 0) {
    // Flip a few bytes after the preamble, where tags, VRs and lengths live.
    for (let i = 0; i < 1 + Math.floor(random() * 8); i++) {
      const at = 132 + Math.floor(random() * (headerEnd - 132));
      copy[at] = Math.floor(random() * 256);
    }
    return copy;
  }
  if (kind === 1) {
    // Overwrite a 32-bit window with a huge value: a length field gone wild.
    const at = 132 + Math.floor(random() * (headerEnd - 136));
    copy.writeUInt32LE(0xfffffff0 - Math.floor(random() * 1000), at);
    return copy;
  }
  return copy.subarray(0, 132 + Math.floor(random() * (copy.length - 132)));
}

describe.skipIf(!samplesAvailable)(`STOW-RS of damaged files (${testDb})`, () => {
  // More cases or another seed for a longer local hunt: STRATA_FUZZ_CASES, STRATA_FUZZ_SEED.
  const random = prng(Number(process.env['STRATA_FUZZ_SEED'] ?? 20261124));
  const count = Number(process.env['STRATA_FUZZ_CASES'] ?? 70);
  const cases = Array.from({ length: count }, (_, i) => ({
    i,
    source: SOURCES[i % SOURCES.length]!,
    seed: Math.floor(random() * 2 ** 31),
  }));
  it.each(cases)('case $i ($source) never answers 500', async ({ source, seed }) => {
    const damaged = damage(sampleBytes(source), prng(seed));
    const response = await stow(`${server.base}/studies`, [{ body: damaged }]);
    expect([200, 202, 409]).toContain(response.status);
    expect(response.contentType).toBe('application/dicom+json');
  });

  it('is still healthy afterwards', async () => {
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });
});

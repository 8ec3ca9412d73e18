import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/lib/log.js';
import { makeInstance } from './helpers/make-dicom.js';
import { stow } from './helpers/multipart.js';
import { startTestServer, testDb, type TestServer } from './helpers/server.js';

/** Operators see what happened; the log never carries UIDs or patient data. */
const lines: string[] = [];
let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({}, { log: createLogger('debug', (line) => lines.push(line)) });
});
afterAll(async () => {
  await server?.close();
});

describe(`logging (${testDb})`, () => {
  it('logs STOW counts and failure reasons without UIDs or names', async () => {
    const study = makeInstance().studyInstanceUid;
    const good = makeInstance({ studyInstanceUid: study, patientName: 'Secret^Person' });
    const stranger = makeInstance({ patientName: 'Other^Secret' });
    const response = await stow(`${server.base}/studies/${study}`, [
      { body: good.bytes },
      { body: stranger.bytes },
      { body: Buffer.from('not dicom') },
    ]);
    expect(response.status).toBe(202);

    const stowLine = lines.map((l) => JSON.parse(l)).find((l) => l.msg === 'stow');
    expect(stowLine).toMatchObject({ level: 'warn', stored: 1, duplicates: 0, failed: 2 });
    expect(stowLine.failures.map((f: { reason: string }) => f.reason)).toEqual([
      '0xa900',
      '0xc000',
    ]);
    expect(lines.some((l) => JSON.parse(l).msg === 'request')).toBe(true);

    const all = lines.join('\n');
    for (const secret of [
      study,
      good.sopInstanceUid,
      good.seriesInstanceUid,
      stranger.sopInstanceUid,
      stranger.studyInstanceUid,
      'Secret',
    ]) {
      expect(all).not.toContain(secret);
    }
  });
});

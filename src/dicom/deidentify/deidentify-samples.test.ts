import dcmjs from 'dcmjs';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DicomParseError } from '../errors.js';
import { samplePath, samplesAvailable } from '../testing/samples.js';
import { deidentifyPart10 } from './deidentify.js';
import { UidMap } from './uid-map.js';

interface Row {
  file: string;
  expect: string;
  patient_id: string | null;
  study_instance: string | null;
}

const rows: Row[] = samplesAvailable
  ? (JSON.parse(readFileSync(samplePath('manifest.json'), 'utf8')) as Row[]).filter(
      (r) => r.expect === 'store',
    )
  : [];

/** What dcmjs cannot read back reliably: refused with DicomParseError, never exported wrong. */
const REFUSED = new Set(['ts-deflated_SC.dcm', 'ts-rle_RTDOSE_32bit_15frames.dcm']);

const pixels = (bytes: Buffer): ArrayBuffer[] =>
  (dcmjs.data.DicomMessage as any).readFile(
    bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
    { ignoreErrors: true },
  ).dict['7FE00010']?.Value ?? [];

describe.skipIf(!samplesAvailable)('de-identification of the sample set', () => {
  it('#14: every storable sample is de-identified with its pixel data unchanged and no PatientID or Study UID left, or refused as unreadable', () => {
    let done = 0;
    for (const row of rows) {
      const bytes = readFileSync(samplePath(row.file));
      if (REFUSED.has(row.file)) {
        expect(
          () => deidentifyPart10(bytes, { uids: new UidMap(), dates: 'remove' }),
          row.file,
        ).toThrow(DicomParseError);
        continue;
      }
      const out = deidentifyPart10(bytes, { uids: new UidMap(), dates: 'remove' });
      const before = pixels(bytes);
      const after = pixels(out);
      expect(after.length, row.file).toBe(before.length);
      before.forEach((frame, i) =>
        expect(Buffer.from(after[i]!).equals(Buffer.from(frame)), row.file).toBe(true),
      );
      if (row.patient_id && row.patient_id.length >= 4)
        expect(out.includes(Buffer.from(row.patient_id)), row.file).toBe(false);
      if (row.study_instance)
        expect(out.includes(Buffer.from(row.study_instance)), row.file).toBe(false);
      done++;
    }
    expect(done).toBeGreaterThan(60);
  }, 300_000);
});

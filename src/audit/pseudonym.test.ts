import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPseudonymKey, PSEUDONYM_KEY_FILE, Pseudonyms } from './pseudonym.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'strata-pseudonym-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('Pseudonyms', () => {
  const key = randomBytes(32);

  it('#12: the same input gives the same reference, another key another one', () => {
    const a = new Pseudonyms(key);
    expect(a.ref('PID-1')).toBe(new Pseudonyms(Buffer.from(key)).ref('PID-1'));
    expect(a.ref('PID-1')).toMatch(/^[0-9a-f]{64}$/);
    expect(a.ref('PID-1')).not.toBe(a.ref('PID-2'));
    expect(new Pseudonyms(randomBytes(32)).ref('PID-1')).not.toBe(a.ref('PID-1'));
  });

  it('refuses a key shorter than 32 bytes', () => {
    expect(() => new Pseudonyms(Buffer.alloc(16))).toThrow(RangeError);
  });

  it('#12: references the values of patient parameters, by keyword and tag, and keeps the rest', () => {
    const p = new Pseudonyms(key);
    expect(
      p.query(
        '?PatientName=Doe*&00100020=X%2F1&patientid=keep&Modality=CT&includefield=PatientName&limit=5',
      ),
    ).toBe(
      `PatientName=${p.ref('Doe*')}&00100020=${p.ref('X/1')}&patientid=keep&Modality=CT&includefield=PatientName&limit=5`,
    );
    expect(
      p.query('PatientBirthDate=19700101-19801231&OtherPatientIDs=A&IssuerOfPatientID=H'),
    ).toBe(
      `PatientBirthDate=${p.ref('19700101-19801231')}&OtherPatientIDs=${p.ref('A')}&IssuerOfPatientID=${p.ref('H')}`,
    );
    expect(p.query('StudyInstanceUID=1.2,1.3&0020000d=1.4&PatientID=')).toBe(
      `StudyInstanceUID=${p.ref('1.2')},${p.ref('1.3')}&0020000d=${p.ref('1.4')}&PatientID=`,
    );
    expect(p.query('OtherPatientIDsSequence.PatientID=Z')).toBe(
      `OtherPatientIDsSequence.PatientID=${p.ref('Z')}`,
    );
    expect(p.query('')).toBe('');
  });
});

describe('loadPseudonymKey', () => {
  it('uses the configured key', async () => {
    const key = await loadPseudonymKey({ configured: 'k'.repeat(32), dataDir: dir });
    expect(key.toString()).toBe('k'.repeat(32));
  });

  it('#12: creates a random key once (mode 0600) and reads it on later starts, even when raced', async () => {
    const keys = await Promise.all(
      [1, 2, 3, 4].map(() => loadPseudonymKey({ configured: undefined, dataDir: dir })),
    );
    expect(keys[0]!.length).toBe(32);
    for (const key of keys) expect(key.equals(keys[0]!)).toBe(true);
    const path = join(dir, PSEUDONYM_KEY_FILE);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await readFile(path, 'utf8')).trim()).toBe(keys[0]!.toString('hex'));
    const again = await loadPseudonymKey({ configured: undefined, dataDir: dir });
    expect(again.equals(keys[0]!)).toBe(true);
  });
});

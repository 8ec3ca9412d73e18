import { describe, expect, it } from 'vitest';
import { Progress } from './progress.js';
import { Tally } from './tally.js';

function output(isTTY: boolean) {
  const out = { text: '', isTTY, columns: 80, write: (t: string) => void (out.text += t) };
  return out;
}

describe('import progress', () => {
  it('#14: on a terminal, one line redrawn in place with files, rate and ETA, cleared at the end', () => {
    const out = output(true);
    const progress = new Progress(out, 2, 2000);
    progress.file('a.dcm', 1000, { status: 'stored' });
    progress.skipped('.hidden', 'hidden');
    progress.file('b.dcm', 1000, { status: 'duplicate' });
    expect(out.text).toMatch(
      // eslint-disable-next-line no-control-regex -- the terminal codes are what is tested
      /^\r\x1b\[2K\[#+-*\] 1\/2 files +\S+ (B|KB|MB)\/s +[\d.]+ files\/s +ETA \d+:\d\d/,
    );
    expect(out.text).toContain('2/2 files');
    expect(out.text).not.toContain('\n');
    expect(out.text).not.toContain('a.dcm');
    progress.end();
    expect(out.text.endsWith('\r\x1b[2K')).toBe(true);
    for (const line of out.text.split('\r')) expect(line.length).toBeLessThan(80 + 4);
  });

  it('#14: elsewhere, one plain line per file and none of the terminal codes', () => {
    const out = output(false);
    const progress = new Progress(out, 2, 2000);
    progress.file('a.dcm', 1000, { status: 'stored' });
    progress.file('b.txt', 1000, { status: 'refused', reason: 'not DICOM' });
    progress.skipped('DICOMDIR', 'DICOMDIR');
    progress.end();
    expect(out.text).toBe(
      'stored    a.dcm\nrefused   b.txt: not DICOM\nskipped   DICOMDIR (DICOMDIR)\n',
    );
  });
});

describe('import summary', () => {
  it('#14: counts, groups refusals by reason with the first files, exit 1 only when refused', () => {
    const tally = new Tally();
    tally.add('a', 10, { status: 'stored' });
    tally.add('b', 10, { status: 'duplicate' });
    expect(tally.exitCode).toBe(0);
    for (let i = 0; i < 7; i++) tally.add(`bad${i}`, 1, { status: 'refused', reason: 'not DICOM' });
    tally.add('c', 1, { status: 'refused', reason: 'too large' });
    tally.skip('hidden');
    const summary = tally.summary(2, 'already stored');
    expect(tally.exitCode).toBe(1);
    expect(summary).toMatch(/stored +1\n/);
    expect(summary).toMatch(/duplicates +1 \(already stored\)/);
    expect(summary).toMatch(/skipped +1 \(1 hidden\)/);
    expect(summary).toMatch(/refused +8\n/);
    expect(summary).toContain('7 × not DICOM');
    expect(summary).toContain('bad4');
    expect(summary).not.toContain('bad5');
    expect(summary).toContain('… and 2 more');
    expect(summary).toContain('1 × too large');
  });
});

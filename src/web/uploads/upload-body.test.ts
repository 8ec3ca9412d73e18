import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uploadKindOf, uploadParts } from './upload-body.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'strata-upload-body-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function partsOf(name: string, bytes: Buffer, kind = uploadKindOf(undefined)) {
  const path = join(dir, name);
  await writeFile(path, bytes);
  const out: { index: number; text: string }[] = [];
  for await (const part of await uploadParts(path, kind, 10)) {
    const chunks: Buffer[] = [];
    for await (const chunk of part.body) chunks.push(chunk as Buffer);
    out.push({ index: part.index, text: Buffer.concat(chunks).toString('latin1') });
  }
  return out;
}

describe('upload body kinds', () => {
  it('reads the declared type from filetype or contentType', () => {
    expect(uploadKindOf({ filetype: 'application/dicom' })).toEqual({ kind: 'single' });
    expect(uploadKindOf({ contentType: 'application/octet-stream' })).toEqual({ kind: 'single' });
    expect(uploadKindOf({ filename: 'x.dcm' })).toEqual({ kind: 'single' });
    expect(
      uploadKindOf({ filetype: 'multipart/related; type="application/dicom"; boundary=abc' }),
    ).toEqual({ kind: 'multipart', boundary: 'abc' });
    expect(uploadKindOf({ filetype: 'multipart/related' })).toEqual({
      kind: 'multipart',
      boundary: undefined,
    });
  });

  it('refuses types STOW cannot take, at creation', () => {
    expect(() => uploadKindOf({ filetype: 'application/zip' })).toThrow(/not application\/zip/);
    expect(() => uploadKindOf({ filetype: 'multipart/related; type="image/jpeg"' })).toThrow(
      /image\/jpeg/,
    );
  });

  it('a Part 10 file is one part, even when it happens to start with two dashes', async () => {
    const part10 = Buffer.concat([Buffer.from('--x\r\n'), Buffer.alloc(123), Buffer.from('DICM')]);
    expect(await partsOf('p10', part10)).toEqual([{ index: 0, text: part10.toString('latin1') }]);
  });

  it('a multipart body is split, its boundary read from the first line when not declared', async () => {
    const body = Buffer.from(
      '--b0undary\r\nContent-Type: application/dicom\r\n\r\nONE\r\n--b0undary\r\n\r\nTWO\r\n--b0undary--\r\n',
    );
    const expected = [
      { index: 0, text: 'ONE' },
      { index: 1, text: 'TWO' },
    ];
    expect(await partsOf('m1', body)).toEqual(expected);
    expect(await partsOf('m2', body, { kind: 'multipart', boundary: undefined })).toEqual(expected);
    expect(await partsOf('m3', body, { kind: 'multipart', boundary: 'b0undary' })).toEqual(
      expected,
    );
  });

  it('a declared multipart body without a boundary anywhere is refused', async () => {
    await writeFile(join(dir, 'nb'), 'no delimiter here');
    await expect(
      uploadParts(join(dir, 'nb'), { kind: 'multipart', boundary: undefined }, 10),
    ).rejects.toThrow(/boundary/);
  });
});

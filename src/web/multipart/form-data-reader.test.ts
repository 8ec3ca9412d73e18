import { finished } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { readMultipartFormData } from './form-data-reader.js';
import { chunked, nextPart, readAll, readParts, rejectionOf, within } from './testing.js';

/** Encodes a form the way a browser's fetch does (undici's FormData encoder). */
async function encodeForm(form: FormData): Promise<{ body: Buffer; contentType: string }> {
  const request = new Request('http://localhost/', { method: 'POST', body: form });
  return {
    body: Buffer.from(await request.arrayBuffer()),
    contentType: request.headers.get('content-type')!,
  };
}

const dicomA = Buffer.concat([Buffer.alloc(128), Buffer.from('DICM'), Buffer.alloc(5000, 0xab)]);
const dicomB = Buffer.concat([Buffer.alloc(128), Buffer.from('DICM'), Buffer.from('\r\n--x\r\n')]);

function twoFiles(): FormData {
  const form = new FormData();
  form.append('note', 'a text field, ignored');
  form.append('file', new Blob([dicomA], { type: 'application/dicom' }), 'a.dcm');
  form.append('file', new Blob([dicomB]), 'b.dcm');
  return form;
}

describe('readMultipartFormData', () => {
  it.each([1, 7, 65536])(
    'reads the files of a browser upload in %i-byte chunks, ignoring fields',
    async (size) => {
      const { body, contentType } = await encodeForm(twoFiles());
      const parts = await readParts(readMultipartFormData(chunked(body, size), contentType));
      expect(parts).toEqual([
        {
          index: 0,
          headers: { 'content-type': 'application/dicom' },
          contentType: 'application/dicom',
          body: dicomA,
        },
        {
          index: 1,
          headers: { 'content-type': 'application/octet-stream' },
          contentType: 'application/octet-stream',
          body: dicomB,
        },
      ]);
    },
  );

  it('destroys the part being read with multipart.truncated when the form is cut off', async () => {
    const { body, contentType } = await encodeForm(twoFiles());
    const cut = body.subarray(0, body.length - 100);
    const parts = readMultipartFormData(chunked(cut, 512), contentType);
    expect((await readAll((await nextPart(parts)).body)).equals(dicomA)).toBe(true);
    const second = await nextPart(parts);
    const err = await rejectionOf(readAll(second.body));
    expect(err.code).toBe('multipart.truncated');
    expect((await rejectionOf(parts.next())).code).toBe('multipart.truncated');
  });

  it('refuses a cut-off form between parts with multipart.truncated', async () => {
    const { body, contentType } = await encodeForm(twoFiles());
    const boundary = contentType.split('boundary=')[1]!;
    const afterFirstFile = body.indexOf(`\r\n--${boundary}`, body.indexOf('a.dcm')) + 2;
    const parts = readMultipartFormData(chunked(body.subarray(0, afterFirstFile), 64), contentType);
    expect((await rejectionOf(readParts(parts))).code).toBe('multipart.truncated');
  });

  it('refuses an empty body, and a form without files, with multipart.no_parts', async () => {
    const contentType = 'multipart/form-data; boundary=xyz';
    expect(
      (await rejectionOf(readParts(readMultipartFormData(chunked(Buffer.alloc(0)), contentType))))
        .code,
    ).toBe('multipart.no_parts');
    const form = new FormData();
    form.append('only', 'fields');
    const fieldsOnly = await encodeForm(form);
    const parts = readMultipartFormData(chunked(fieldsOnly.body), fieldsOnly.contentType);
    expect((await rejectionOf(readParts(parts))).code).toBe('multipart.no_parts');
  });

  it('refuses more files than maxParts with multipart.too_many_parts', async () => {
    const { body, contentType } = await encodeForm(twoFiles());
    const parts = readMultipartFormData(chunked(body, 300), contentType, { maxParts: 1 });
    expect((await rejectionOf(readParts(parts))).code).toBe('multipart.too_many_parts');
  });

  it('refuses a malformed part header with multipart.bad_headers', async () => {
    const body = Buffer.from('--xyz\r\nthis is not a header\r\n\r\ndata\r\n--xyz--\r\n');
    const parts = readMultipartFormData(chunked(body), 'multipart/form-data; boundary=xyz');
    expect((await rejectionOf(readParts(parts))).code).toBe('multipart.bad_headers');
  });

  it('refuses a media type that is not multipart/form-data, or has no boundary', async () => {
    const read = (type: string) =>
      rejectionOf(readParts(readMultipartFormData(chunked(Buffer.from('x')), type)));
    expect((await read('multipart/related; boundary=x')).code).toBe('web.bad_media_type');
    expect((await read('multipart/form-data')).code).toBe('multipart.bad_boundary');
    expect((await read('multipart/form-data; boundary')).code).toBe('web.bad_media_type');
  });

  it('drains the request when the consumer leaves after the first file', async () => {
    const { body, contentType } = await encodeForm(twoFiles());
    const source = chunked(body, 256);
    for await (const part of readMultipartFormData(source, contentType)) {
      part.body.resume();
      break;
    }
    await within(5000, 'the request body to be drained', finished(source));
  });
});

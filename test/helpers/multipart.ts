import { randomBytes } from 'node:crypto';

export interface TestPart {
  body: Uint8Array;
  contentType?: string;
  headers?: Record<string, string>;
}

/** Builds a multipart/related body in memory (test inputs are small). */
export function multipartRelated(
  parts: TestPart[],
  boundary = `strata-${randomBytes(8).toString('hex')}`,
): { body: Buffer; contentType: string; boundary: string } {
  const chunks: Buffer[] = [];
  for (const part of parts) {
    const headers = {
      'Content-Type': part.contentType ?? 'application/dicom',
      ...part.headers,
    };
    const head = Object.entries(headers)
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('');
    chunks.push(
      Buffer.from(`--${boundary}\r\n${head}\r\n`),
      Buffer.from(part.body),
      Buffer.from('\r\n'),
    );
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return {
    body: Buffer.concat(chunks),
    contentType: `multipart/related; type="application/dicom"; boundary=${boundary}`,
    boundary,
  };
}

/** POSTs DICOM parts to STOW-RS and returns status, content type and parsed body. */
export async function stow(
  url: string,
  parts: TestPart[],
  init: { contentType?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; contentType: string | null; json: any; headers: Headers }> {
  const { body, contentType } = multipartRelated(parts);
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': init.contentType ?? contentType, ...init.headers },
    body,
  });
  const text = await response.text();
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    json: text ? JSON.parse(text) : undefined,
    headers: response.headers,
  };
}

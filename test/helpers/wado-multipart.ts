/** Reading WADO-RS responses in tests: multipart/related bodies split into parts. */
export interface ReceivedPart {
  headers: Record<string, string>;
  body: Buffer;
}

/** The boundary of a multipart Content-Type (quoted or not). */
export function boundaryOf(contentType: string | null): string {
  const match = /boundary="?([^";]+)"?/i.exec(contentType ?? '');
  if (!match?.[1]) throw new Error(`no boundary in ${contentType}`);
  return match[1];
}

/** RFC 2046 §5.1.1 parts of `body`; throws when the close delimiter is missing. */
export function splitMultipart(body: Buffer, contentType: string | null): ReceivedPart[] {
  const boundary = boundaryOf(contentType);
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: ReceivedPart[] = [];
  let at = body.indexOf(delimiter);
  if (at < 0) throw new Error('no delimiter');
  for (;;) {
    const afterDelimiter = at + delimiter.length;
    if (body.subarray(afterDelimiter, afterDelimiter + 2).toString() === '--') return parts;
    const headerStart = afterDelimiter + 2;
    const headerEnd = body.indexOf('\r\n\r\n', headerStart);
    const next = body.indexOf(Buffer.from(`\r\n--${boundary}`), headerEnd);
    if (headerEnd < 0 || next < 0) throw new Error('truncated multipart body');
    const headers: Record<string, string> = {};
    for (const line of body.subarray(headerStart, headerEnd).toString('latin1').split('\r\n')) {
      const colon = line.indexOf(':');
      if (colon > 0)
        headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    parts.push({ headers, body: body.subarray(headerEnd + 4, next) });
    at = next + 2;
  }
}

/** GET with an Accept header; returns status, headers and the whole body. */
export async function get(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; body: Buffer; contentType: string | null }> {
  const response = await fetch(url, { headers });
  const body = Buffer.from(await response.arrayBuffer());
  return {
    status: response.status,
    headers: response.headers,
    body,
    contentType: response.headers.get('content-type'),
  };
}

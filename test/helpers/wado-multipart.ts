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

export interface ZipEntryRead {
  name: string;
  data: Buffer;
  crc: number;
}

/**
 * The stored (uncompressed) entries of a ZIP archive, read from PKWARE APPNOTE independently of
 * the writer: end record (ZIP64 when marked), central directory, each entry's data found through
 * its local header.
 */
export function readZip(zip: Buffer): ZipEntryRead[] {
  const check = (ok: boolean, what: string): void => {
    if (!ok) throw new Error(`not a ZIP archive: ${what}`);
  };
  const endAt = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  check(endAt >= 0, 'no end of central directory record');
  let count = zip.readUInt16LE(endAt + 10);
  let directory = zip.readUInt32LE(endAt + 16);
  if (count === 0xffff) {
    const locator = endAt - 20;
    check(zip.readUInt32LE(locator) === 0x07064b50, 'no ZIP64 locator');
    const record = Number(zip.readBigUInt64LE(locator + 8));
    check(zip.readUInt32LE(record) === 0x06064b50, 'no ZIP64 end record');
    count = Number(zip.readBigUInt64LE(record + 32));
    directory = Number(zip.readBigUInt64LE(record + 48));
  }
  const out: ZipEntryRead[] = [];
  let at = directory;
  for (let i = 0; i < count; i++) {
    check(zip.readUInt32LE(at) === 0x02014b50, `central header ${i}`);
    check(zip.readUInt16LE(at + 10) === 0, `entry ${i} is compressed`);
    const crc = zip.readUInt32LE(at + 16);
    const size = zip.readUInt32LE(at + 24);
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    const local = zip.readUInt32LE(at + 42);
    const name = zip.subarray(at + 46, at + 46 + nameLength).toString('utf8');
    check(zip.readUInt32LE(local) === 0x04034b50, `local header ${i}`);
    const dataAt = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    out.push({ name, data: zip.subarray(dataAt, dataAt + size), crc });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return out;
}

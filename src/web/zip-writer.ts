/**
 * A streamed `application/zip` body (PKWARE APPNOTE 6.3.x) for study/series download (PS3.18
 * Supplement 211 added application/zip to Retrieve Instances): entries are Part 10 files stored
 * uncompressed (method 0: DICOM pixel data barely deflates and the CPU is better spent
 * elsewhere), written as they are read, so memory stays bounded whatever the study's size.
 *
 * Sizes and CRCs are not known before an entry is read (a transcoded instance has no stored
 * size), so each entry has general-purpose flag bit 3 and a data descriptor after its data
 * (APPNOTE 4.3.9). Every local header carries a ZIP64 extra field, which makes the descriptor's
 * sizes 8 bytes (4.3.9.2), so entries and archives over 4 GiB need no look-ahead; the central
 * directory and end records use ZIP64 only where a value does not fit in 32 or 16 bits (4.4.1.4).
 */
import { Readable } from 'node:stream';
import { crc32 } from 'node:zlib';

export interface ZipEntry {
  /** Path inside the archive, `/`-separated, UTF-8 (flag bit 11). */
  name: string;
  body: Readable;
}

const LOCAL_HEADER = 0x04034b50;
const DATA_DESCRIPTOR = 0x08074b50;
const CENTRAL_HEADER = 0x02014b50;
const ZIP64_END = 0x06064b50;
const ZIP64_LOCATOR = 0x07064b50;
const END = 0x06054b50;
/** APPNOTE 4.4.2/4.4.3: version 4.5 (ZIP64), made by UNIX (3) for the central header. */
const VERSION = 45;
const MADE_BY = (3 << 8) | VERSION;
/** Bit 3: sizes and CRC in a data descriptor; bit 11: names are UTF-8. */
const FLAGS = (1 << 3) | (1 << 11);
const U32_MAX = 0xffffffff;
const U16_MAX = 0xffff;
/** MS-DOS date of 1980-01-01 00:00 (APPNOTE 4.4.6): entries carry no meaningful time. */
const DOS_DATE = (0 << 9) | (1 << 5) | 1;

interface Written {
  name: Buffer;
  crc: number;
  size: number;
  offset: number;
}

/** The archive as a byte Readable; destroying it destroys the entry being read. */
export function writeZip(
  entries: AsyncIterable<ZipEntry> | Iterable<ZipEntry>,
  highWaterMark?: number,
): Readable {
  const current: { body?: Readable } = {};
  const generator = generateZip(entries, current);
  // As in writeMultipartRelated: a stalled body would keep the generator's return() pending.
  const release = (): void => void current.body?.destroy();
  const iterator: AsyncIterator<Buffer> = {
    next: () => generator.next(),
    return: (value?: unknown) => (release(), generator.return(value)),
    throw: (err?: unknown) => (release(), generator.throw(err)),
  };
  return Readable.from(
    { [Symbol.asyncIterator]: () => iterator },
    { objectMode: false, ...(highWaterMark ? { highWaterMark } : {}) },
  );
}

async function* generateZip(
  entries: AsyncIterable<ZipEntry> | Iterable<ZipEntry>,
  current: { body?: Readable },
): AsyncGenerator<Buffer> {
  const written: Written[] = [];
  let offset = 0;
  for await (const entry of entries) {
    const name = Buffer.from(entry.name, 'utf8');
    const header = localHeader(name);
    yield header;
    const start = offset;
    offset += header.length;
    let crc = 0;
    let size = 0;
    current.body = entry.body;
    try {
      for await (const chunk of entry.body) {
        const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
        crc = crc32(bytes, crc);
        size += bytes.length;
        yield bytes;
      }
    } finally {
      current.body = undefined;
      if (!entry.body.readableEnded) entry.body.destroy();
    }
    offset += size;
    const descriptor = Buffer.alloc(24);
    descriptor.writeUInt32LE(DATA_DESCRIPTOR, 0);
    descriptor.writeUInt32LE(crc, 4);
    descriptor.writeBigUInt64LE(BigInt(size), 8);
    descriptor.writeBigUInt64LE(BigInt(size), 16);
    yield descriptor;
    offset += descriptor.length;
    written.push({ name, crc, size, offset: start });
  }
  const directoryStart = offset;
  for (const entry of written) {
    const header = centralHeader(entry);
    yield header;
    offset += header.length;
  }
  yield endRecords(written.length, directoryStart, offset - directoryStart);
}

/** APPNOTE 4.3.7, with a ZIP64 extra field (4.5.3) whose sizes are zero (bit 3 set). */
function localHeader(name: Buffer): Buffer {
  const header = Buffer.alloc(30 + name.length + 20);
  header.writeUInt32LE(LOCAL_HEADER, 0);
  header.writeUInt16LE(VERSION, 4);
  header.writeUInt16LE(FLAGS, 6);
  header.writeUInt16LE(0, 8); // method: stored
  header.writeUInt16LE(0, 10); // time
  header.writeUInt16LE(DOS_DATE, 12);
  header.writeUInt32LE(0, 14); // crc: in the descriptor
  header.writeUInt32LE(U32_MAX, 18); // sizes: in the ZIP64 field / descriptor
  header.writeUInt32LE(U32_MAX, 22);
  header.writeUInt16LE(name.length, 26);
  header.writeUInt16LE(20, 28);
  name.copy(header, 30);
  const extra = 30 + name.length;
  header.writeUInt16LE(0x0001, extra); // ZIP64 extended information
  header.writeUInt16LE(16, extra + 2);
  // original and compressed size: 0 here, the real ones follow in the data descriptor
  return header;
}

/** APPNOTE 4.3.12; a ZIP64 extra field only for the values that overflow (4.5.3 order). */
function centralHeader(entry: Written): Buffer {
  const big64: bigint[] = [];
  const bigSize = entry.size >= U32_MAX;
  const bigOffset = entry.offset >= U32_MAX;
  if (bigSize) big64.push(BigInt(entry.size), BigInt(entry.size));
  if (bigOffset) big64.push(BigInt(entry.offset));
  const extraLength = big64.length > 0 ? 4 + 8 * big64.length : 0;
  const header = Buffer.alloc(46 + entry.name.length + extraLength);
  header.writeUInt32LE(CENTRAL_HEADER, 0);
  header.writeUInt16LE(MADE_BY, 4);
  header.writeUInt16LE(VERSION, 6);
  header.writeUInt16LE(FLAGS, 8);
  header.writeUInt16LE(0, 10);
  header.writeUInt16LE(0, 12);
  header.writeUInt16LE(DOS_DATE, 14);
  header.writeUInt32LE(entry.crc, 16);
  header.writeUInt32LE(bigSize ? U32_MAX : entry.size, 20);
  header.writeUInt32LE(bigSize ? U32_MAX : entry.size, 24);
  header.writeUInt16LE(entry.name.length, 28);
  header.writeUInt16LE(extraLength, 30);
  // comment length, disk, internal attributes: 0; external: a regular file, rw-r--r--
  header.writeUInt32LE((0o100644 << 16) >>> 0, 38);
  header.writeUInt32LE(bigOffset ? U32_MAX : entry.offset, 42);
  entry.name.copy(header, 46);
  if (extraLength > 0) {
    let at = 46 + entry.name.length;
    header.writeUInt16LE(0x0001, at);
    header.writeUInt16LE(8 * big64.length, at + 2);
    at += 4;
    for (const value of big64) {
      header.writeBigUInt64LE(value, at);
      at += 8;
    }
  }
  return header;
}

/** APPNOTE 4.3.14–4.3.16: ZIP64 end record and locator when a count or offset overflows. */
export function endRecords(count: number, directoryStart: number, directorySize: number): Buffer {
  const zip64 = count >= U16_MAX || directoryStart >= U32_MAX || directorySize >= U32_MAX;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(END, 0);
  end.writeUInt16LE(zip64 ? U16_MAX : count, 8);
  end.writeUInt16LE(zip64 ? U16_MAX : count, 10);
  end.writeUInt32LE(zip64 ? U32_MAX : directorySize, 12);
  end.writeUInt32LE(zip64 ? U32_MAX : directoryStart, 16);
  if (!zip64) return end;
  const record = Buffer.alloc(56);
  record.writeUInt32LE(ZIP64_END, 0);
  record.writeBigUInt64LE(44n, 4); // size of the rest of this record
  record.writeUInt16LE(MADE_BY, 12);
  record.writeUInt16LE(VERSION, 14);
  record.writeBigUInt64LE(BigInt(count), 24);
  record.writeBigUInt64LE(BigInt(count), 32);
  record.writeBigUInt64LE(BigInt(directorySize), 40);
  record.writeBigUInt64LE(BigInt(directoryStart), 48);
  const locator = Buffer.alloc(20);
  locator.writeUInt32LE(ZIP64_LOCATOR, 0);
  locator.writeBigUInt64LE(BigInt(directoryStart + directorySize), 8);
  locator.writeUInt32LE(1, 16); // total number of disks
  return Buffer.concat([record, locator, end]);
}

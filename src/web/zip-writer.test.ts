import { Readable } from 'node:stream';
import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readZip } from '../../test/helpers/wado-multipart.js';
import { endRecords, writeZip, type ZipEntry } from './zip-writer.js';

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function entriesOf(files: [string, Buffer][]): ZipEntry[] {
  return files.map(([name, bytes]) => ({ name, body: Readable.from([bytes]) }));
}

describe('writeZip', () => {
  it('writes stored entries whose names, bytes and CRCs a reader recovers', async () => {
    const files: [string, Buffer][] = [
      ['1.2/3.4/5.6.dcm', Buffer.from('DICM first instance')],
      ['1.2/3.4/7.8.dcm', Buffer.alloc(70_000, 7)],
      ['1.2/3.4/9.dcm', Buffer.alloc(0)],
    ];
    const zip = await collect(writeZip(entriesOf(files)));
    const read = readZip(zip);
    expect(read.map((e) => e.name)).toEqual(files.map(([name]) => name));
    read.forEach((entry, i) => {
      expect(entry.data.equals(files[i]![1])).toBe(true);
      expect(entry.crc).toBe(crc32(files[i]![1]));
    });
  });

  it('an empty archive is just the end record', async () => {
    const zip = await collect(writeZip(entriesOf([])));
    expect(zip.length).toBe(22);
    expect(readZip(zip)).toEqual([]);
  });

  it('writes ZIP64 end records when the count or an offset does not fit', () => {
    const plain = endRecords(3, 1000, 200);
    expect(plain.length).toBe(22);
    expect(plain.readUInt16LE(10)).toBe(3);
    const big = endRecords(70_000, 5_000_000_000, 300);
    expect(big.length).toBe(56 + 20 + 22);
    expect(big.readUInt32LE(0)).toBe(0x06064b50);
    expect(big.readBigUInt64LE(32)).toBe(70_000n);
    expect(big.readBigUInt64LE(40)).toBe(300n);
    expect(big.readBigUInt64LE(48)).toBe(5_000_000_000n);
    expect(big.readUInt32LE(56)).toBe(0x07064b50);
    expect(big.readBigUInt64LE(64)).toBe(5_000_000_300n); // where the ZIP64 end record starts
    expect(big.readUInt16LE(76 + 10)).toBe(0xffff);
    expect(big.readUInt32LE(76 + 16)).toBe(0xffffffff);
  });

  it('destroys the entry being read when the archive is destroyed', async () => {
    const stalled = new Readable({ read() {} });
    stalled.push(Buffer.from('partial'));
    const archive = writeZip([{ name: 'a.dcm', body: stalled }]);
    // Destroy while the writer waits for the stalled entry's next chunk.
    await new Promise<void>((resolve) => {
      let seen = '';
      archive.on('data', (chunk: Buffer) => {
        seen += chunk.toString('latin1');
        if (seen.endsWith('partial')) resolve();
      });
    });
    archive.destroy();
    await new Promise((resolve) => stalled.once('close', resolve));
    expect(stalled.destroyed).toBe(true);
  });
});

/**
 * A zip archive read with yauzl: the central directory once, then any entry as a stream, in
 * any order and several at once (yauzl reads by offset from one file descriptor), so an import
 * reads entries in parallel without extracting the archive.
 */
import type { Readable } from 'node:stream';
import yauzl from 'yauzl';

export interface ZipEntryRef {
  name: string;
  size: number;
  entry: yauzl.Entry;
}

export class ZipArchive {
  private constructor(
    private readonly zip: yauzl.ZipFile,
    readonly entries: ZipEntryRef[],
  ) {}

  static async open(path: string): Promise<ZipArchive> {
    const zip = await new Promise<yauzl.ZipFile>((resolve, reject) =>
      // autoClose off: entries are opened after the listing, until close().
      yauzl.open(path, { lazyEntries: true, autoClose: false }, (error, file) =>
        error ? reject(error) : resolve(file),
      ),
    );
    const entries: ZipEntryRef[] = [];
    await new Promise<void>((resolve, reject) => {
      zip.on('entry', (entry: yauzl.Entry) => {
        // Directories end with '/' (APPNOTE 4.4.17).
        if (!entry.fileName.endsWith('/')) {
          entries.push({ name: entry.fileName, size: entry.uncompressedSize, entry });
        }
        zip.readEntry();
      });
      zip.once('end', () => resolve());
      zip.once('error', reject);
      zip.readEntry();
    });
    return new ZipArchive(zip, entries);
  }

  read(ref: ZipEntryRef): Promise<Readable> {
    return new Promise((resolve, reject) =>
      this.zip.openReadStream(ref.entry, (error, stream) =>
        error ? reject(error) : resolve(stream),
      ),
    );
  }

  close(): Promise<void> {
    this.zip.close();
    return Promise.resolve();
  }
}

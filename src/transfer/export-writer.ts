/**
 * Where `strata export` writes: a folder (Study/Series/SOPInstance.dcm, created as needed) or
 * a zip archive streamed with yazl (entries stored uncompressed: pixel data barely deflates).
 * A folder takes files in parallel; a zip is written one entry after the other, each entry's
 * stream read to its end before the next is opened, so memory and open files stay bounded.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import yazl from 'yazl';

export interface ExportWriter {
  kind: 'folder' | 'zip';
  /** Parallel writes it takes (a zip: one). */
  concurrency: number;
  write(path: string, body: Readable | Buffer): Promise<void>;
  /** Finishes the archive; `ok` false removes a partial zip. */
  close(ok: boolean): Promise<void>;
}

export function exportWriter(destination: string): ExportWriter {
  return /\.zip$/i.test(destination) ? zipWriter(destination) : folderWriter(destination);
}

function folderWriter(root: string): ExportWriter {
  const base = resolve(root);
  return {
    kind: 'folder',
    concurrency: 4,
    write: async (path, body) => {
      const target = resolve(base, path);
      // Names are built from UIDs, which cannot contain separators; checked all the same.
      if (!target.startsWith(base + sep)) throw new Error('export path escapes the folder');
      await mkdir(dirname(target), { recursive: true });
      const partial = `${target}.partial`;
      await pipeline(
        Buffer.isBuffer(body) ? Readable.from([body]) : body,
        createWriteStream(partial),
      );
      await rename(partial, target);
    },
    close: () => Promise.resolve(),
  };
}

function zipWriter(file: string): ExportWriter {
  const zip = new yazl.ZipFile();
  const partial = `${file}.partial`;
  const written = mkdir(dirname(resolve(file)), { recursive: true }).then(() =>
    pipeline(zip.outputStream, createWriteStream(partial)),
  );
  written.catch(() => undefined); // observed in close()
  return {
    kind: 'zip',
    concurrency: 1,
    write: async (path, body) => {
      if (Buffer.isBuffer(body)) {
        zip.addBuffer(body, path, { compress: false });
        return;
      }
      zip.addReadStream(body, path, { compress: false });
      await finished(body);
    },
    close: async (ok) => {
      zip.end();
      try {
        await written;
      } catch (error) {
        await rm(partial, { force: true });
        throw error;
      }
      if (ok) await rename(partial, file);
      else await rm(partial, { force: true });
    },
  };
}

/** Study/Series/SOPInstanceUID.dcm (the same layout as WADO-RS zip downloads). */
export function exportPath(study: string, series: string, instance: string): string {
  return join(study, series, `${instance}.dcm`);
}

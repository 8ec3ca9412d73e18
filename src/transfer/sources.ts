/**
 * What `strata import` reads: files, folders (recursively) and zip archives (their entries,
 * also when found inside a folder), listed before anything is stored so the progress line can
 * show a total and an ETA. Hidden files and folders (a leading dot, which also covers macOS
 * `._` resource forks in zips) and DICOMDIR media directories (PS3.10 §8: an index of the
 * media, not an instance) are skipped and counted, not refused.
 */
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Readable } from 'node:stream';
import { ZipArchive } from './zip-archive.js';

export interface SourceFile {
  /** Where it came from, for the person running the import: a path, or `archive.zip:entry`. */
  name: string;
  size: number;
  /** A fresh stream of its bytes; may be called more than once (probe, then store). */
  open(): Promise<Readable>;
}

export type SkipReason = 'hidden' | 'DICOMDIR';

export interface SourceList {
  files: SourceFile[];
  skipped: { name: string; reason: SkipReason }[];
  /** Closes the zip archives opened while listing. */
  close(): Promise<void>;
}

export async function listSources(paths: readonly string[]): Promise<SourceList> {
  const list: SourceList = { files: [], skipped: [], close: () => Promise.resolve() };
  const archives: ZipArchive[] = [];
  list.close = async () => {
    await Promise.all(archives.map((a) => a.close()));
  };
  const addFile = async (path: string, size: number) => {
    if (/\.zip$/i.test(path)) {
      const archive = await ZipArchive.open(path);
      archives.push(archive);
      for (const entry of archive.entries) {
        const name = `${path}:${entry.name}`;
        const skip = skipReason(entry.name.split('/'));
        if (skip) list.skipped.push({ name, reason: skip });
        else list.files.push({ name, size: entry.size, open: () => archive.read(entry) });
      }
      return;
    }
    list.files.push({ name: path, size, open: () => Promise.resolve(createReadStream(path)) });
  };
  const walk = async (path: string): Promise<void> => {
    const info = await stat(path);
    if (info.isDirectory()) {
      const entries = await readdir(path, { withFileTypes: true });
      entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      for (const entry of entries) {
        const child = join(path, entry.name);
        const skip = skipReason([entry.name]);
        if (skip) list.skipped.push({ name: child, reason: skip });
        else if (entry.isDirectory() || entry.isFile() || entry.isSymbolicLink()) await walk(child);
      }
    } else if (info.isFile()) {
      await addFile(path, info.size);
    }
  };
  try {
    for (const path of paths) {
      // A file named on the command line is read even when hidden: the user asked for it.
      const skip = skipReason([basename(path)]);
      if (skip === 'DICOMDIR') list.skipped.push({ name: path, reason: skip });
      else await walk(path);
    }
  } catch (error) {
    await list.close();
    throw error;
  }
  return list;
}

function skipReason(segments: readonly string[]): SkipReason | undefined {
  if (segments.some((s) => s.startsWith('.') && s !== '.' && s !== '..')) return 'hidden';
  const last = segments[segments.length - 1] ?? '';
  if (last.toUpperCase() === 'DICOMDIR') return 'DICOMDIR';
  return undefined;
}

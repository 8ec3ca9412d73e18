import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FileStore } from '@tus/file-store';
import type { Logger } from '../../lib/log.js';

/** What a finished upload became: the STOW response, kept for `GET /uploads/{id}/result`. */
export interface UploadResult {
  /** Who uploaded it (owner key, see uploads.routes.ts); nobody else sees the result. */
  owner: string;
  /** The upload's length in bytes (HEAD keeps answering it after the bytes are gone). */
  size: number;
  /** The STOW status the same body would have had as `POST /studies`: 200, 202 or 409. */
  status: number;
  /** The STOW response (PS3.18 10.5.3): ReferencedSOPSequence, FailedSOPSequence. */
  body: Record<string, unknown>;
  /** `Warning` values when the body broke off part-way (web/stow-partial.ts). */
  warnings: string[];
}

export interface UploadAreaOptions {
  /** The folder of this node's uploads (DATA_DIR/uploads). */
  directory: string;
  /** UPLOAD_EXPIRY_SECONDS: unfinished uploads and kept results older than this are removed. */
  expirySeconds: number;
  log: Logger;
}

/** Results are JSON files named by upload id; ids are tus's 32 hex characters. */
const ID = /^[0-9a-f]{32}$/;
const RESULT_SUFFIX = '.result.json';
/** The sweep runs every half expiry, but at least every 15 minutes and at most every second. */
const MAX_SWEEP_MS = 15 * 60_000;

/**
 * The folder where resumable uploads wait for their last byte, on this node's disk:
 * `files/` holds tus's data and info files (@tus/file-store: the offset is the data file's
 * size, so after a cut connection it is what reached the disk), `results/` the outcome of each
 * finished upload once its bytes went through STOW and were deleted. Both are swept: unfinished
 * uploads expire UPLOAD_EXPIRY_SECONDS after their creation (tus expiration extension), results
 * as long after they were written.
 */
export class UploadArea {
  readonly store: FileStore;
  private readonly files: string;
  private readonly results: string;
  private timer: NodeJS.Timeout | undefined;
  private sweeping: Promise<void> | undefined;

  constructor(private readonly options: UploadAreaOptions) {
    this.files = join(options.directory, 'files');
    this.results = join(options.directory, 'results');
    this.store = new FileStore({
      directory: this.files,
      expirationPeriodInMilliseconds: options.expirySeconds * 1000,
    });
  }

  /** Creates the folders (FileStore's own creation is not awaited by its constructor). */
  async open(): Promise<void> {
    await mkdir(this.files, { recursive: true });
    await mkdir(this.results, { recursive: true });
  }

  /** Where an upload's bytes are. */
  dataPath(id: string): string {
    return join(this.files, checkedId(id));
  }

  async readResult(id: string): Promise<UploadResult | undefined> {
    if (!ID.test(id)) return undefined;
    try {
      return JSON.parse(await readFile(this.resultPath(id), 'utf8')) as UploadResult;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  /** Written whole or not at all (temp file, then rename), before the upload's bytes go. */
  async writeResult(id: string, result: UploadResult): Promise<void> {
    const path = this.resultPath(id);
    const temp = `${path}.${process.pid}.tmp`;
    await writeFile(temp, JSON.stringify(result), { flush: true });
    await rename(temp, path);
  }

  async removeResult(id: string): Promise<void> {
    await rm(this.resultPath(id), { force: true });
  }

  /** Removes expired uploads and results; one sweep at a time. */
  sweep(): Promise<void> {
    this.sweeping ??= this.sweepOnce().finally(() => (this.sweeping = undefined));
    return this.sweeping;
  }

  start(): void {
    const everyMs = Math.min(MAX_SWEEP_MS, Math.max(1000, (this.options.expirySeconds * 1000) / 2));
    this.timer = setInterval(() => {
      this.sweep().catch((error: unknown) =>
        this.options.log.error('upload sweep failed', { error }),
      );
    }, everyMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.sweeping;
  }

  private async sweepOnce(): Promise<void> {
    const uploads = await this.store.deleteExpired();
    let results = 0;
    const cutoff = Date.now() - this.options.expirySeconds * 1000;
    for (const name of await readdir(this.results)) {
      const path = join(this.results, name);
      const stats = await stat(path).catch(() => undefined);
      if (stats && stats.mtimeMs < cutoff) {
        await rm(path, { force: true });
        if (name.endsWith(RESULT_SUFFIX)) results++;
      }
    }
    if (uploads + results > 0) this.options.log.info('upload sweep', { uploads, results });
  }

  private resultPath(id: string): string {
    return join(this.results, checkedId(id) + RESULT_SUFFIX);
  }
}

function checkedId(id: string): string {
  if (!ID.test(id)) throw new Error('not an upload id');
  return id;
}

export function isUploadId(id: string): boolean {
  return ID.test(id);
}

/**
 * What a running import prints. On a terminal: one progress line rewritten in place (bar,
 * files, rate, ETA), at most every 200 ms. Otherwise (a pipe, a log file, CI): one plain line
 * per file, which a script can read, and no control characters.
 */
import { formatBytes, type FileResult } from './tally.js';

export interface ProgressOutput {
  write(text: string): void;
  isTTY: boolean;
  columns?: number | undefined;
}

export class Progress {
  private doneFiles = 0;
  private doneBytes = 0;
  private lastDraw = 0;
  private readonly started = Date.now();

  constructor(
    private readonly out: ProgressOutput,
    private readonly totalFiles: number,
    private readonly totalBytes: number,
  ) {}

  file(name: string, size: number, result: FileResult): void {
    this.doneFiles++;
    this.doneBytes += size;
    if (!this.out.isTTY) {
      const detail = result.status === 'refused' ? `: ${result.reason}` : '';
      this.out.write(`${result.status.padEnd(9)} ${name}${detail}\n`);
      return;
    }
    const now = Date.now();
    if (now - this.lastDraw >= 200 || this.doneFiles === this.totalFiles) {
      this.lastDraw = now;
      this.draw(now);
    }
  }

  skipped(name: string, reason: string): void {
    if (!this.out.isTTY) this.out.write(`${'skipped'.padEnd(9)} ${name} (${reason})\n`);
  }

  /** Clears the progress line before the summary. */
  end(): void {
    if (this.out.isTTY) this.out.write('\r\x1b[2K');
  }

  private draw(now: number): void {
    const seconds = Math.max((now - this.started) / 1000, 0.001);
    const rate = this.doneBytes / seconds;
    const fraction = this.totalBytes > 0 ? this.doneBytes / this.totalBytes : 1;
    const remaining = rate > 0 ? (this.totalBytes - this.doneBytes) / rate : 0;
    const width = 24;
    const filled = Math.min(width, Math.round(fraction * width));
    const line =
      `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ` +
      `${this.doneFiles}/${this.totalFiles} files  ${formatBytes(rate)}/s  ` +
      `${(this.doneFiles / seconds).toFixed(1)} files/s  ETA ${clock(remaining)}`;
    const columns = this.out.columns ?? 100;
    this.out.write(`\r\x1b[2K${line.slice(0, columns - 1)}`);
  }
}

function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

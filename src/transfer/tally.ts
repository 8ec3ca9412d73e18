/**
 * The counts of an import run and its closing summary: stored, duplicates (already stored
 * identically, not sent again), skipped (hidden files, DICOMDIR) and refused, grouped by
 * reason with the first few files of each, so a person can act on them.
 */
export type FileResult =
  { status: 'stored' } | { status: 'duplicate' } | { status: 'refused'; reason: string };

const NAMES_PER_REASON = 5;

export class Tally {
  stored = 0;
  duplicates = 0;
  refused = 0;
  bytes = 0;
  readonly skipped = new Map<string, number>();
  readonly reasons = new Map<string, string[]>();
  private readonly reasonCounts = new Map<string, number>();

  add(name: string, size: number, result: FileResult): void {
    this.bytes += size;
    switch (result.status) {
      case 'stored':
        this.stored++;
        break;
      case 'duplicate':
        this.duplicates++;
        break;
      case 'refused': {
        this.refused++;
        this.reasonCounts.set(result.reason, (this.reasonCounts.get(result.reason) ?? 0) + 1);
        const names = this.reasons.get(result.reason) ?? [];
        if (names.length < NAMES_PER_REASON) names.push(name);
        this.reasons.set(result.reason, names);
        break;
      }
    }
  }

  skip(reason: string): void {
    this.skipped.set(reason, (this.skipped.get(reason) ?? 0) + 1);
  }

  get done(): number {
    return this.stored + this.duplicates + this.refused;
  }

  /** 1 when anything was refused (scripts can tell a clean run), else 0. */
  get exitCode(): number {
    return this.refused > 0 ? 1 : 0;
  }

  summary(seconds: number, duplicateMeaning: string): string {
    const skippedTotal = [...this.skipped.values()].reduce((a, b) => a + b, 0);
    const skippedDetail = [...this.skipped].map(([reason, n]) => `${n} ${reason}`).join(', ');
    const lines = [
      `import finished in ${seconds.toFixed(1)} s: ${this.done} files, ${formatBytes(this.bytes)} (${formatBytes(this.bytes / Math.max(seconds, 0.001))}/s)`,
      `  stored      ${this.stored}`,
      `  duplicates  ${this.duplicates} (${duplicateMeaning})`,
      `  skipped     ${skippedTotal}${skippedTotal > 0 ? ` (${skippedDetail})` : ''}`,
      `  refused     ${this.refused}`,
    ];
    for (const [reason, names] of this.reasons) {
      const count = this.reasonCounts.get(reason) ?? names.length;
      lines.push(`    ${count} × ${reason}`);
      for (const name of names) lines.push(`        ${name}`);
      if (count > names.length) lines.push(`        … and ${count - names.length} more`);
    }
    return lines.join('\n');
  }
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${Math.round(bytes)} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GB`;
}

import { claimOrphan, forgetJournalEntries } from '../index/blob-journal.repository.js';
import type { Db } from '../index/db.js';
import {
  findIndexedBlob,
  pageIndexedBlobs,
  referencedKeys,
  type IndexedBlob,
} from '../index/hsm.repository.js';
import { forEachLimited } from '../lib/for-each-limited.js';
import type { Logger } from '../lib/log.js';
import type { BlobStore } from '../storage/blob-store.js';
import { BlobIntegrityError, BlobNotFoundError, BlobOfflineError } from '../storage/errors.js';
import { hashStream } from './migrate-one.js';
import type { AuditSink } from '../audit/event.js';

export interface VerifyOptions {
  /** Re-hash every blob (default); false = existence and size only (stat), much faster. */
  checksums: boolean;
  /** Delete blobs no instance row or journal row references. */
  removeOrphans: boolean;
  /** Blobs checked at once. */
  concurrency: number;
}

export type ProblemKind = 'missing' | 'size-mismatch' | 'checksum-mismatch' | 'orphan' | 'error';

export interface VerifyReport {
  instances: number;
  blobsListed: number;
  missing: number;
  sizeMismatches: number;
  checksumMismatches: number;
  /** Blobs in an offline tier, not readable without a restore: existence checked only. */
  offline: number;
  orphans: number;
  orphansRemoved: number;
  /** Blobs that could not be checked (store errors). */
  errors: number;
  /** PHI-free: tier and key (and the error code). The first 1000. */
  problems: { kind: ProblemKind; tier: string; key: string; code?: string }[];
  /** True when nothing is missing, damaged, orphaned (and not removed) or unchecked. */
  ok: boolean;
}

const PAGE = 500;
const MAX_PROBLEMS = 1000;

/**
 * `strata verify`: walks the index (every instance's blob must exist in its recorded tier with
 * the recorded size and SHA-256) and every tier (every blob must be referenced by an instance
 * row or a journal row; others are orphans). Memory is bounded: the index is read in pages by
 * id, tiers are listed as streams and looked up in batches, blobs are re-hashed as streams.
 * A problem is re-checked against the current row before it is reported, so a concurrent
 * migration or replace is not mistaken for damage.
 */
export class VerifyStorage {
  constructor(
    private readonly deps: {
      db: Db;
      stores: ReadonlyMap<string, BlobStore>;
      log: Logger;
      /**
       * A blob whose bytes no longer match what was stored (checksum or encryption tag) raises a
       * 110113 Security Alert without a user: the application found it. Absent = not recorded.
       */
      audit?: AuditSink | undefined;
      /** Glacier/Archive tiers: checked by size only, since a read would start a restore. */
      offlineTiers?: ReadonlySet<string>;
    },
  ) {}

  async run(options: VerifyOptions): Promise<VerifyReport> {
    const report: VerifyReport = {
      instances: 0,
      blobsListed: 0,
      missing: 0,
      sizeMismatches: 0,
      checksumMismatches: 0,
      offline: 0,
      orphans: 0,
      orphansRemoved: 0,
      errors: 0,
      problems: [],
      ok: false,
    };
    await this.checkIndex(report, options);
    for (const [tier, store] of this.deps.stores)
      await this.checkTier(report, tier, store, options);
    report.ok =
      report.missing +
        report.sizeMismatches +
        report.checksumMismatches +
        report.errors +
        (report.orphans - report.orphansRemoved) ===
      0;
    this.deps.log.info('verify finished', { ...report, problems: report.problems.length });
    return report;
  }

  /**
   * The report is verify's own record of the damage; a trail that cannot take the alert is
   * logged, not allowed to stop the walk.
   */
  private async alert(row: IndexedBlob): Promise<void> {
    if (!this.deps.audit) return;
    try {
      await this.deps.audit.record({
        type: 'security-alert',
        action: 'E',
        outcome: 8,
        detail: { alert: 'integrity', found: 'verify', tier: row.storageTier },
      });
    } catch (error) {
      this.deps.log.error('audit record of a damaged blob failed', { error, key: row.blobKey });
    }
  }

  private problem(
    report: VerifyReport,
    kind: ProblemKind,
    tier: string,
    key: string,
    code?: string,
  ) {
    if (report.problems.length < MAX_PROBLEMS) {
      report.problems.push({ kind, tier, key, ...(code ? { code } : {}) });
    }
  }

  private async checkIndex(report: VerifyReport, options: VerifyOptions): Promise<void> {
    for (let after = 0; ;) {
      const page = await pageIndexedBlobs(this.deps.db, after, PAGE);
      if (page.length === 0) return;
      after = page[page.length - 1]!.id;
      report.instances += page.length;
      await forEachLimited(page, options.concurrency, async (row) => {
        const found = await this.checkBlob(row, options.checksums);
        if (found === 'ok') return;
        // A concurrent move or replace changes the row: only damage of the current blob counts.
        const now = await findIndexedBlob(this.deps.db, row.id);
        if (!now || now.blobKey !== row.blobKey || now.storageTier !== row.storageTier) return;
        this.count(report, found, row);
        if (found === 'checksum-mismatch') await this.alert(row);
      });
    }
  }

  private count(report: VerifyReport, found: CheckResult, row: IndexedBlob): void {
    switch (found) {
      case 'ok':
        return;
      case 'offline':
        report.offline++;
        return;
      case 'missing':
        report.missing++;
        break;
      case 'size-mismatch':
        report.sizeMismatches++;
        break;
      case 'checksum-mismatch':
        report.checksumMismatches++;
        break;
      default:
        report.errors++;
        this.problem(report, 'error', row.storageTier, row.blobKey, found.code);
        return;
    }
    this.problem(report, found, row.storageTier, row.blobKey);
  }

  private async checkBlob(row: IndexedBlob, checksums: boolean): Promise<CheckResult> {
    const store = this.deps.stores.get(row.storageTier);
    if (!store) return { code: 'verify.unknown_tier' };
    try {
      if (!checksums || this.deps.offlineTiers?.has(row.storageTier)) {
        const stat = await store.stat(row.blobKey);
        return stat.size === row.size ? 'ok' : 'size-mismatch';
      }
      const { size, sha256 } = await hashStream(await store.get(row.blobKey));
      if (size !== row.size) return 'size-mismatch';
      return sha256 === row.sha256 ? 'ok' : 'checksum-mismatch';
    } catch (error) {
      if (error instanceof BlobNotFoundError) return 'missing';
      if (error instanceof BlobOfflineError) return 'offline';
      // An encrypted object whose authentication tag fails was altered at rest: damage, like
      // a checksum mismatch of a plain object (no unverified byte is ever hashed).
      if (error instanceof BlobIntegrityError) return 'checksum-mismatch';
      const code = (error as { code?: unknown }).code;
      return { code: typeof code === 'string' ? code : 'unknown' };
    }
  }

  private async checkTier(
    report: VerifyReport,
    tier: string,
    store: BlobStore,
    options: VerifyOptions,
  ): Promise<void> {
    let batch: string[] = [];
    const flush = async () => {
      const keys = batch;
      batch = [];
      const referenced = await referencedKeys(this.deps.db, tier, keys);
      for (const key of keys) {
        if (referenced.has(key)) continue;
        report.orphans++;
        this.problem(report, 'orphan', tier, key);
        if (options.removeOrphans && (await this.removeOrphan(tier, store, key))) {
          report.orphansRemoved++;
        }
      }
    };
    for await (const key of store.list()) {
      report.blobsListed++;
      batch.push(key);
      if (batch.length >= PAGE) await flush();
    }
    await flush();
  }

  /**
   * The listing is old by now: a STOW or move may have referenced the key since. The database
   * decides at deletion time (claimOrphan: one statement over instance and journal rows) and
   * records the decision as a due delete row, so the sweeper finishes it if this delete fails.
   */
  private async removeOrphan(tier: string, store: BlobStore, key: string): Promise<boolean> {
    const entry = await claimOrphan(this.deps.db, { blobKey: key, storageTier: tier });
    if (!entry) return false;
    try {
      await store.delete(key);
    } catch (error) {
      this.deps.log.warn('verify: orphan delete failed', { tier, key, error });
      return false;
    }
    await forgetJournalEntries(this.deps.db, [entry.id]);
    return true;
  }
}

type CheckResult =
  'ok' | 'missing' | 'size-mismatch' | 'checksum-mismatch' | 'offline' | { code: string };

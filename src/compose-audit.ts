import { loadPseudonymKey, Pseudonyms } from './audit/pseudonym.js';
import { AuditSearch } from './audit/search.js';
import { AuditTrail } from './audit/trail.js';
import type { Config } from './config/config.js';
import { ConfigError } from './config/errors.js';
import type { Db } from './index/db.js';
import type { Clock } from './lib/clock.js';
import type { Logger } from './lib/log.js';

/** The audit half of the composition root: the chained trail and its search. */
export interface AuditParts {
  trail: AuditTrail;
  search: AuditSearch;
}

/**
 * The trail over the index, with the pseudonym key of AUDIT_PSEUDONYM_KEY or the one kept in
 * DATA_DIR (created on the first start). A key file that cannot be read stops start-up (exit 2).
 */
export async function openAudit(
  config: Config,
  db: Db,
  log: Logger,
  clock: Clock | undefined,
): Promise<AuditParts> {
  let key: Buffer;
  try {
    key = await loadPseudonymKey({
      configured: config.audit.pseudonymKey,
      dataDir: config.dataDir,
    });
  } catch (error) {
    throw new ConfigError('AUDIT_PSEUDONYM_KEY', (error as Error).message);
  }
  const pseudonyms = new Pseudonyms(key);
  return {
    trail: new AuditTrail({
      db,
      pseudonyms,
      log,
      clock,
      retentionDays: config.audit.retentionDays,
    }),
    search: new AuditSearch(db, pseudonyms),
  };
}

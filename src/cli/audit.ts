import { parseAuditFilters, type AuditFilters } from '../audit/search.js';
import { verifyAuditTrail } from '../audit/verify.js';
import type { ComposeOverrides } from '../compose.js';
import type { Config } from '../config/config.js';
import { openConfigured } from './verify.js';

export const AUDIT_USAGE = `Usage: strata audit <verify|search> [options]

  verify   walk the audit trail in order and recompute every record's hash; exit 0 and print
           the count when the chain is intact, exit 1 naming the first broken record (its seq,
           and whether a record was edited, deleted or inserted)
  search   print matching records as JSON lines, newest first:
             --patient-id ID   --study UID   (hashed with the pseudonym key, as stored)
             --user NAME       --event CODE (e.g. 110112)
             --from ISO        --to ISO      --limit N (default 100, at most 1000)
             --before SEQ      (the next page: the last seq printed)`;

const SEARCH_OPTIONS: Record<string, string> = {
  '--patient-id': 'patientId',
  '--study': 'studyUid',
  '--user': 'user',
  '--event': 'event',
  '--from': 'from',
  '--to': 'to',
  '--limit': 'limit',
  '--before': 'before',
};

/**
 * `strata audit verify|search`. Opens the index like the server; on PostgreSQL it runs beside
 * serving nodes (verification reads one snapshot), while PGlite allows one process: stop the
 * server first, or search through GET /admin/audit.
 */
export async function auditCommand(
  config: Config,
  args: string[],
  overrides: ComposeOverrides = {},
): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'verify' && sub !== 'search') {
    console.error(AUDIT_USAGE);
    return 2;
  }
  let filters: AuditFilters | undefined;
  if (sub === 'search') {
    const parsed = searchFilters(rest);
    if (typeof parsed === 'string') {
      console.error(`strata audit search: ${parsed}\n\n${AUDIT_USAGE}`);
      return 2;
    }
    filters = parsed;
  } else if (rest.length > 0) {
    console.error(AUDIT_USAGE);
    return 2;
  }
  const strata = await openConfigured(config, { ...overrides, command: `strata audit ${sub}` });
  if (!strata) return 2;
  try {
    if (filters) {
      for (const record of await strata.audit.search.search(filters)) {
        console.log(JSON.stringify(record));
      }
      return 0;
    }
    const result = await verifyAuditTrail(strata.database.db);
    if (result.ok) {
      console.log(
        `audit trail intact: ${result.records} records${result.records > 0 ? ` (seq ${result.firstSeq}..${result.lastSeq})` : ''}`,
      );
      return 0;
    }
    console.error(
      `audit trail broken at record ${result.seq} (${result.kind}): ${result.message}; ${result.records} records before it verified`,
    );
    return 1;
  } finally {
    await strata.close();
  }
}

/** `--name value` pairs → filters, or a message naming what is wrong. */
function searchFilters(args: string[]): AuditFilters | string {
  const values: Record<string, string> = {};
  for (let i = 0; i < args.length; i += 2) {
    const name = SEARCH_OPTIONS[args[i] ?? ''];
    const value = args[i + 1];
    if (name === undefined) return `unknown option "${args[i]}"`;
    if (value === undefined) return `${args[i]} needs a value`;
    values[name] = value;
  }
  return parseAuditFilters(values);
}

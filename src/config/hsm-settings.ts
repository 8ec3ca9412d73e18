import { boolean, days, integer } from './setting.js';

/**
 * STRATA_CONFIG fields of the HSM (README "Tiered storage (HSM)"), declared like the
 * environment's settings and read by the same code; `from`, `to` and `toTier` name tiers and are
 * checked against the file's tier list in config-file.ts.
 */
/** Instances copied at once, by a policy or by the recall. */
const concurrency = integer({
  json: 'concurrency',
  default: 4,
  min: 1,
  max: 256,
  help: 'instances copied at once',
});

export const POLICY = {
  afterDaysSinceLastAccess: days({
    json: 'afterDaysSinceLastAccess',
    help: 'days since the last retrieve (or since stored, when never retrieved)',
  }),
  afterDaysSinceStored: days({ json: 'afterDaysSinceStored', help: 'days since stored' }),
  maxInstancesPerCycle: integer({
    json: 'maxInstancesPerCycle',
    default: 1000,
    min: 1,
    help: 'instances moved per cycle at most, oldest access first',
  }),
  maxBytesPerCycle: integer({
    json: 'maxBytesPerCycle',
    min: 1,
    help: 'bytes moved per cycle at most; unset = no byte limit',
  }),
  concurrency,
};

export const MIGRATION = {
  intervalSeconds: integer({
    json: 'intervalSeconds',
    default: 3600,
    min: 0,
    help: 'seconds between cycles (`0` = only on demand)',
  }),
  leaseSeconds: integer({
    json: 'leaseSeconds',
    default: 600,
    min: 1,
    help: 'how long a claimed instance is reserved for one worker',
  }),
};

export const RECALL = {
  onAccess: boolean({
    json: 'onAccess',
    default: true,
    help: 'recall instances of offline tiers that were retrieved recently (see migrate-tiers.ts)',
  }),
  /**
   * "Recently": keep it longer than the archive's restore time (S3 Deep Archive Bulk: up to
   * 48 h), or an instance whose restore outlasts the window is no longer recalled.
   */
  accessedWithinDays: days({
    json: 'accessedWithinDays',
    default: 3,
    help: 'a retrieve within this many days counts as recent (fractions allowed)',
  }),
  maxInstancesPerCycle: integer({
    json: 'maxInstancesPerCycle',
    default: 1000,
    min: 1,
    help: 'instances recalled per cycle at most',
  }),
  concurrency,
};

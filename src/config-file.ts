import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ConfigError } from './config.js';
import { parseBackendJson, type BackendConfig, type TierConfig } from './config-storage.js';

/**
 * The STRATA_CONFIG file: storage tiers (each any backend) and the HSM policies that move
 * instances between them. JSON, validated in full at start-up; every problem names its JSON path
 * (`$.policies[1].to`) and the variable, never a value that could be a secret.
 *
 * ```json
 * { "tiers": [{ "name": "hot", "backend": { "kind": "fs", "root": "/data/hot" } },
 *             { "name": "cold", "backend": { … }, "offline": true }],
 *   "policies": [{ "from": "hot", "to": "cold", "afterDaysSinceLastAccess": 30 }],
 *   "migration": { "intervalSeconds": 3600, "leaseSeconds": 600 },
 *   "recall": { "onAccess": true, "toTier": "hot" } }
 * ```
 */
export interface HsmTier {
  name: string;
  /** Glacier/Archive-class: reads need a restore first (BlobOfflineError until then). */
  offline: boolean;
}

/** One tier transition. An instance moves when EVERY given age condition holds. */
export interface HsmPolicyConfig {
  from: string;
  to: string;
  /** Days since the last retrieve (or since stored, when never retrieved). */
  afterDaysSinceLastAccess: number | undefined;
  afterDaysSinceStored: number | undefined;
  maxInstancesPerCycle: number;
  /** Bytes moved per cycle at most; undefined = no byte limit. */
  maxBytesPerCycle: number | undefined;
  /** Instances copied at once. */
  concurrency: number;
}

export interface HsmRecallConfig {
  /** Recall instances of offline tiers that were retrieved recently (see migrate-tiers.ts). */
  onAccess: boolean;
  toTier: string;
  /**
   * "Recently": a retrieve within this many days (fractions allowed; default 3). Keep it longer
   * than the archive's restore time (S3 Deep Archive Bulk: up to 48 h), or an instance whose
   * restore outlasts the window is no longer recalled.
   */
  accessedWithinDays: number;
  maxInstancesPerCycle: number;
  concurrency: number;
}

export interface HsmConfig {
  tiers: HsmTier[];
  policies: HsmPolicyConfig[];
  migration: { intervalSeconds: number; leaseSeconds: number };
  recall: HsmRecallConfig | undefined;
}

export interface ConfigFile {
  /** Replace the environment's single backend; the first receives new instances. */
  tiers: TierConfig[];
  hsm: HsmConfig;
}

const VARIABLE = 'STRATA_CONFIG';
const TIER_NAME = /^[a-z][a-z0-9_-]{0,31}$/;

/** Reads and validates the file STRATA_CONFIG names; relative fs roots resolve from its folder. */
export function readConfigFile(path: string): ConfigFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(VARIABLE, `cannot read ${path} (${(error as Error).message})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(VARIABLE, `${path} is not valid JSON (${(error as Error).message})`);
  }
  return parseConfigFile(json, dirname(resolve(path)), path);
}

export function parseConfigFile(json: unknown, baseDir: string, source = 'config'): ConfigFile {
  const fail = (at: string, problem: string): never => {
    throw new ConfigError(VARIABLE, `${source}: ${at}: ${problem}`);
  };
  const root = object(json, '$', fail);
  known(root, '$', ['tiers', 'policies', 'migration', 'recall'], fail);

  const tierList = array(root['tiers'], '$.tiers', fail);
  if (tierList.length === 0) fail('$.tiers', 'at least one tier is required');
  const tiers: TierConfig[] = [];
  const hsmTiers: HsmTier[] = [];
  tierList.forEach((value, i) => {
    const at = `$.tiers[${i}]`;
    const tier = object(value, at, fail);
    known(tier, at, ['name', 'backend', 'offline'], fail);
    const name = string(tier['name'], `${at}.name`, fail);
    if (!TIER_NAME.test(name)) fail(`${at}.name`, 'must match [a-z][a-z0-9_-]{0,31}');
    if (tiers.some((t) => t.name === name)) fail(`${at}.name`, `duplicate tier name "${name}"`);
    const where = `${VARIABLE}: ${source}: ${at}.backend`;
    tiers.push({ name, backend: parseBackend(tier['backend'], where, baseDir), source: where });
    hsmTiers.push({
      name,
      offline: optionalBoolean(tier['offline'], `${at}.offline`, fail) ?? false,
    });
  });
  const names = new Set(tiers.map((t) => t.name));
  const tierRef = (value: unknown, at: string): string => {
    const name = string(value, at, fail);
    if (!names.has(name)) fail(at, `unknown tier "${name}"`);
    return name;
  };

  const policies = (
    root['policies'] === undefined ? [] : array(root['policies'], '$.policies', fail)
  ).map((value, i) => parsePolicy(value, `$.policies[${i}]`, tierRef, fail));
  checkPolicyGraph(policies, fail);

  const migrationJson =
    root['migration'] === undefined ? {} : object(root['migration'], '$.migration', fail);
  known(migrationJson, '$.migration', ['intervalSeconds', 'leaseSeconds'], fail);
  const migration = {
    intervalSeconds:
      integer(migrationJson['intervalSeconds'], '$.migration.intervalSeconds', fail, 0) ?? 3600,
    leaseSeconds:
      integer(migrationJson['leaseSeconds'], '$.migration.leaseSeconds', fail, 1) ?? 600,
  };

  let recall: HsmRecallConfig | undefined;
  if (root['recall'] !== undefined) {
    const r = object(root['recall'], '$.recall', fail);
    known(
      r,
      '$.recall',
      ['onAccess', 'toTier', 'accessedWithinDays', 'maxInstancesPerCycle', 'concurrency'],
      fail,
    );
    recall = {
      onAccess: optionalBoolean(r['onAccess'], '$.recall.onAccess', fail) ?? true,
      toTier: r['toTier'] === undefined ? tiers[0]!.name : tierRef(r['toTier'], '$.recall.toTier'),
      accessedWithinDays: days(r['accessedWithinDays'], '$.recall.accessedWithinDays', fail) ?? 3,
      maxInstancesPerCycle:
        integer(r['maxInstancesPerCycle'], '$.recall.maxInstancesPerCycle', fail, 1) ?? 1000,
      concurrency: integer(r['concurrency'], '$.recall.concurrency', fail, 1, 256) ?? 4,
    };
    if (hsmTiers.find((t) => t.name === recall!.toTier)?.offline) {
      fail('$.recall.toTier', 'cannot recall into an offline tier');
    }
  }
  return { tiers, hsm: { tiers: hsmTiers, policies, migration, recall } };
}

type Fail = (at: string, problem: string) => never;

function parsePolicy(
  value: unknown,
  at: string,
  tierRef: (value: unknown, at: string) => string,
  fail: Fail,
): HsmPolicyConfig {
  const p = object(value, at, fail);
  known(
    p,
    at,
    [
      'from',
      'to',
      'afterDaysSinceLastAccess',
      'afterDaysSinceStored',
      'maxInstancesPerCycle',
      'maxBytesPerCycle',
      'concurrency',
    ],
    fail,
  );
  const from = tierRef(p['from'], `${at}.from`);
  const to = tierRef(p['to'], `${at}.to`);
  if (from === to) fail(`${at}.to`, 'must differ from "from"');
  const policy: HsmPolicyConfig = {
    from,
    to,
    afterDaysSinceLastAccess: days(
      p['afterDaysSinceLastAccess'],
      `${at}.afterDaysSinceLastAccess`,
      fail,
    ),
    afterDaysSinceStored: days(p['afterDaysSinceStored'], `${at}.afterDaysSinceStored`, fail),
    maxInstancesPerCycle:
      integer(p['maxInstancesPerCycle'], `${at}.maxInstancesPerCycle`, fail, 1) ?? 1000,
    maxBytesPerCycle: integer(p['maxBytesPerCycle'], `${at}.maxBytesPerCycle`, fail, 1),
    concurrency: integer(p['concurrency'], `${at}.concurrency`, fail, 1, 256) ?? 4,
  };
  if (policy.afterDaysSinceLastAccess === undefined && policy.afterDaysSinceStored === undefined) {
    fail(at, 'needs afterDaysSinceLastAccess and/or afterDaysSinceStored');
  }
  return policy;
}

/** One policy per transition, and no cycle: data would otherwise move back and forth forever. */
function checkPolicyGraph(policies: HsmPolicyConfig[], fail: Fail): void {
  const next = new Map<string, string[]>();
  policies.forEach((p, i) => {
    const targets = next.get(p.from) ?? [];
    if (targets.includes(p.to)) fail(`$.policies[${i}]`, `duplicate policy ${p.from} → ${p.to}`);
    next.set(p.from, [...targets, p.to]);
  });
  const visiting = new Set<string>();
  const done = new Set<string>();
  const visit = (tier: string, path: string[]): void => {
    if (done.has(tier)) return;
    if (visiting.has(tier)) fail('$.policies', `cycle ${[...path, tier].join(' → ')}`);
    visiting.add(tier);
    for (const to of next.get(tier) ?? []) visit(to, [...path, tier]);
    visiting.delete(tier);
    done.add(tier);
  };
  for (const tier of next.keys()) visit(tier, []);
}

/** Any backend (config-storage.ts validates it); a relative fs root resolves from the file's folder. */
function parseBackend(value: unknown, where: string, baseDir: string): BackendConfig {
  const backend = parseBackendJson(value, where);
  return backend.kind === 'fs' ? { ...backend, root: resolve(baseDir, backend.root) } : backend;
}

function object(value: unknown, at: string, fail: Fail): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return fail(at, 'expected an object');
  }
  return value as Record<string, unknown>;
}

function known(value: Record<string, unknown>, at: string, keys: string[], fail: Fail): void {
  for (const key of Object.keys(value)) {
    if (!keys.includes(key)) fail(`${at}.${key}`, `unknown field (expected ${keys.join(', ')})`);
  }
}

function array(value: unknown, at: string, fail: Fail): unknown[] {
  if (!Array.isArray(value)) return fail(at, 'expected an array');
  return value;
}

function string(value: unknown, at: string, fail: Fail): string {
  if (typeof value !== 'string' || value.trim() === '')
    return fail(at, 'expected a non-empty string');
  return value;
}

function optionalBoolean(value: unknown, at: string, fail: Fail): boolean | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') return fail(at, 'expected true or false');
  return value;
}

function integer(
  value: unknown,
  at: string,
  fail: Fail,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    return fail(at, 'expected a whole number');
  }
  if (value < min || value > max) return fail(at, `must be between ${min} and ${max}`);
  return value;
}

function days(value: unknown, at: string, fail: Fail): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 36_500) {
    return fail(at, 'expected a number of days between 0 and 36500');
  }
  return value;
}

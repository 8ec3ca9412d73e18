import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { MigrateTiersOptions } from '../services/migrate-tiers.js';
import type { TierPolicy } from '../services/hsm-policy.js';
import { ConfigError } from './errors.js';
import { MIGRATION, POLICY, RECALL } from './hsm-settings.js';
import { parseRemoteAe, type RemoteAeConfig } from './dimse-settings.js';
import { CONFIG_FILE } from './server-settings.js';
import { jsonNames, jsonSource, readSettings, type Settings } from './setting.js';
import { parseBackendJson, type BackendConfig, type TierConfig } from './storage.js';

/**
 * The STRATA_CONFIG file: storage tiers (each any backend), the HSM policies that move
 * instances between them, and the known remote DICOM nodes (added to DIMSE_REMOTE_AES). JSON, validated in full at start-up; every problem names its JSON path
 * (`$.policies[1].to`) and the variable, never a value that could be a secret.
 *
 * ```json
 * { "tiers": [{ "name": "hot", "backend": { "kind": "fs", "root": "/data/hot" } },
 *             { "name": "cold", "backend": { … }, "offline": true }],
 *   "policies": [{ "from": "hot", "to": "cold", "afterDaysSinceLastAccess": 30 }],
 *   "migration": { "intervalSeconds": 3600, "leaseSeconds": 600 },
 *   "recall": { "onAccess": true, "toTier": "hot" },
 *   "remoteAes": [{ "aeTitle": "CT1", "host": "10.0.0.5", "port": 104 }] }
 * ```
 * Every section is optional; policies, migration and recall need tiers.
 */
export type HsmConfig = MigrateTiersOptions;

export interface ConfigFile {
  /** Tiers and their policies; absent: the environment's single backend stays. */
  storage?: { tiers: TierConfig[]; hsm: HsmConfig } | undefined;
  /** Known remote DICOM nodes, beside those of DIMSE_REMOTE_AES. */
  remoteAes: RemoteAeConfig[];
}

const VARIABLE = CONFIG_FILE.env!;
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

type Fail = (at: string, problem: string) => never;

export function parseConfigFile(json: unknown, baseDir: string, source = 'config'): ConfigFile {
  const fail: Fail = (at, problem) => {
    throw new ConfigError(VARIABLE, `${source}: ${at}: ${problem}`);
  };
  /** The object at `at`, its fields checked against `keys`, read through the declarations. */
  const section = (value: unknown, at: string, keys: string[]) => {
    const o = object(value, at, fail);
    for (const key of Object.keys(o)) {
      if (!keys.includes(key)) fail(`${at}.${key}`, `unknown field (expected ${keys.join(', ')})`);
    }
    const read = <G extends Settings>(group: G) =>
      readSettings(
        group,
        jsonSource(o, (name, problem) => fail(`${at}.${name}`, problem)),
      );
    return { o, read };
  };
  const root = section(json, '$', ['tiers', 'policies', 'migration', 'recall', 'remoteAes']).o;
  const remoteAes = parseRemoteAes(root['remoteAes'], fail);
  if (root['tiers'] === undefined) {
    for (const key of ['policies', 'migration', 'recall']) {
      if (root[key] !== undefined) fail(`$.${key}`, 'needs $.tiers');
    }
    return { remoteAes };
  }
  return { storage: parseStorage(root, section, fail, baseDir, source), remoteAes };
}

/** `$.remoteAes`: `{ aeTitle, host, port }` objects, checked as DIMSE_REMOTE_AES entries are. */
function parseRemoteAes(value: unknown, fail: Fail): RemoteAeConfig[] {
  if (value === undefined) return [];
  return array(value, '$.remoteAes', fail).map((entry, i) => {
    const at = `$.remoteAes[${i}]`;
    const o = object(entry, at, fail);
    for (const key of Object.keys(o)) {
      if (!['aeTitle', 'host', 'port'].includes(key)) {
        fail(`${at}.${key}`, 'unknown field (expected aeTitle, host, port)');
      }
    }
    const aeTitle = string(o['aeTitle'], `${at}.aeTitle`, fail);
    const host = string(o['host'], `${at}.host`, fail);
    const port = o['port'];
    if (typeof port !== 'number') fail(`${at}.port`, 'expected a number');
    const bracketed = host.includes(':') ? `[${host}]` : host;
    const parsed = parseRemoteAe(`${aeTitle}@${bracketed}:${port}`);
    if (typeof parsed === 'string') fail(at, parsed);
    return parsed;
  });
}

function parseStorage(
  root: Record<string, unknown>,
  section: (
    value: unknown,
    at: string,
    keys: string[],
  ) => {
    o: Record<string, unknown>;
    read: <G extends Settings>(group: G) => ReturnType<typeof readSettings<G>>;
  },
  fail: Fail,
  baseDir: string,
  source: string,
): NonNullable<ConfigFile['storage']> {
  const tierList = array(root['tiers'], '$.tiers', fail);
  if (tierList.length === 0) fail('$.tiers', 'at least one tier is required');
  const tiers: TierConfig[] = [];
  const hsmTiers: HsmConfig['tiers'] = [];
  tierList.forEach((value, i) => {
    const at = `$.tiers[${i}]`;
    const tier = section(value, at, ['name', 'backend', 'offline']).o;
    const name = string(tier['name'], `${at}.name`, fail);
    if (!TIER_NAME.test(name)) fail(`${at}.name`, 'must match [a-z][a-z0-9_-]{0,31}');
    if (tiers.some((t) => t.name === name)) fail(`${at}.name`, `duplicate tier name "${name}"`);
    const where = `${VARIABLE}: ${source}: ${at}.backend`;
    tiers.push({ name, backend: parseBackend(tier['backend'], where, baseDir), source: where });
    const offline = tier['offline'] ?? false;
    if (typeof offline !== 'boolean') fail(`${at}.offline`, 'expected true or false');
    hsmTiers.push({ name, offline: offline });
  });
  const names = new Set(tiers.map((t) => t.name));
  const tierRef = (value: unknown, at: string): string => {
    const name = string(value, at, fail);
    if (!names.has(name)) fail(at, `unknown tier "${name}"`);
    return name;
  };

  const policies = (
    root['policies'] === undefined ? [] : array(root['policies'], '$.policies', fail)
  ).map((value, i): TierPolicy => {
    const at = `$.policies[${i}]`;
    const { o, read } = section(value, at, ['from', 'to', ...jsonNames(POLICY)]);
    const from = tierRef(o['from'], `${at}.from`);
    const to = tierRef(o['to'], `${at}.to`);
    if (from === to) fail(`${at}.to`, 'must differ from "from"');
    const policy = { from, to, ...read(POLICY) };
    if (
      policy.afterDaysSinceLastAccess === undefined &&
      policy.afterDaysSinceStored === undefined
    ) {
      fail(at, 'needs afterDaysSinceLastAccess and/or afterDaysSinceStored');
    }
    return policy;
  });
  checkPolicyGraph(policies, fail);

  const migration = section(root['migration'] ?? {}, '$.migration', jsonNames(MIGRATION)).read(
    MIGRATION,
  );

  let recall: HsmConfig['recall'];
  if (root['recall'] !== undefined) {
    const { o, read } = section(root['recall'], '$.recall', ['toTier', ...jsonNames(RECALL)]);
    const toTier =
      o['toTier'] === undefined ? tiers[0]!.name : tierRef(o['toTier'], '$.recall.toTier');
    recall = { toTier, ...read(RECALL) };
    if (hsmTiers.find((t) => t.name === toTier)?.offline) {
      fail('$.recall.toTier', 'cannot recall into an offline tier');
    }
  }
  return { tiers, hsm: { tiers: hsmTiers, policies, migration, recall } };
}

/** One policy per transition, and no cycle: data would otherwise move back and forth forever. */
function checkPolicyGraph(policies: TierPolicy[], fail: Fail): void {
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

/** Any backend (storage.ts validates it); a relative fs root resolves from the file's folder. */
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

function array(value: unknown, at: string, fail: Fail): unknown[] {
  if (!Array.isArray(value)) return fail(at, 'expected an array');
  return value;
}

function string(value: unknown, at: string, fail: Fail): string {
  if (typeof value !== 'string' || value.trim() === '') {
    return fail(at, 'expected a non-empty string');
  }
  return value;
}

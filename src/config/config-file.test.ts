import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { ConfigError } from './errors.js';
import { parseConfigFile } from './config-file.js';

const fs = (root: string) => ({ kind: 'fs', root });
const tiers3 = [
  { name: 'hot', backend: fs('hot') },
  { name: 'warm', backend: fs('/abs/warm') },
  { name: 'cold', backend: { kind: 'memory' }, offline: true },
];

function problem(json: unknown): string {
  try {
    parseConfigFile(json, '/base', 'strata.json');
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('STRATA_CONFIG file', () => {
  it('parses tiers, policies with defaults, migration and recall', () => {
    const file = parseConfigFile(
      {
        tiers: tiers3,
        policies: [
          { from: 'hot', to: 'warm', afterDaysSinceLastAccess: 30 },
          {
            from: 'warm',
            to: 'cold',
            afterDaysSinceStored: 90,
            maxBytesPerCycle: 1e9,
            concurrency: 2,
          },
        ],
        migration: { intervalSeconds: 60 },
        recall: { toTier: 'hot' },
      },
      '/base',
    );
    const at = (i: number) => `STRATA_CONFIG: config: $.tiers[${i}].backend`;
    expect(file.storage!.tiers).toEqual([
      { name: 'hot', backend: { kind: 'fs', root: '/base/hot' }, source: at(0) },
      { name: 'warm', backend: { kind: 'fs', root: '/abs/warm' }, source: at(1) },
      { name: 'cold', backend: { kind: 'memory' }, source: at(2) },
    ]);
    expect(file.storage!.hsm.tiers.map((t) => t.offline)).toEqual([false, false, true]);
    expect(file.storage!.hsm.policies[0]).toEqual({
      from: 'hot',
      to: 'warm',
      afterDaysSinceLastAccess: 30,
      afterDaysSinceStored: undefined,
      maxInstancesPerCycle: 1000,
      maxBytesPerCycle: undefined,
      concurrency: 4,
    });
    expect(file.storage!.hsm.policies[1]).toMatchObject({ maxBytesPerCycle: 1e9, concurrency: 2 });
    expect(file.storage!.hsm.migration).toEqual({ intervalSeconds: 60, leaseSeconds: 600 });
    expect(file.storage!.hsm.recall).toEqual({
      onAccess: true,
      toTier: 'hot',
      accessedWithinDays: 3,
      maxInstancesPerCycle: 1000,
      concurrency: 4,
    });
  });

  it.each([
    [{ tiers: [] }, '$.tiers: at least one tier'],
    [
      {
        tiers: [
          { name: 'hot', backend: fs('a') },
          { name: 'hot', backend: fs('b') },
        ],
      },
      '$.tiers[1].name: duplicate tier name "hot"',
    ],
    [{ tiers: [{ name: 'Hot!', backend: fs('a') }] }, '$.tiers[0].name: must match'],
    [
      { tiers: [{ name: 'hot', backend: { kind: 'tape' } }] },
      '$.tiers[0].backend.kind: expected one of fs, memory, s3, azure',
    ],
    [
      { tiers: tiers3, policies: [{ from: 'hot', to: 'attic', afterDaysSinceStored: 1 }] },
      '$.policies[0].to: unknown tier "attic"',
    ],
    [
      { tiers: tiers3, policies: [{ from: 'hot', to: 'warm' }] },
      '$.policies[0]: needs afterDaysSinceLastAccess and/or afterDaysSinceStored',
    ],
    [
      { tiers: tiers3, policies: [{ from: 'hot', to: 'warm', afterDaysSinceStored: -1 }] },
      '$.policies[0].afterDaysSinceStored: expected a number of days',
    ],
    [
      {
        tiers: tiers3,
        policies: [{ from: 'hot', to: 'warm', afterDaysSinceStored: 1, maxInstancesPerCycle: 0 }],
      },
      '$.policies[0].maxInstancesPerCycle: must be at least 1',
    ],
    [
      {
        tiers: tiers3,
        policies: [{ from: 'hot', to: 'warm', afterDaysSinceStored: 1, concurrency: 2.5 }],
      },
      '$.policies[0].concurrency: expected a whole number',
    ],
    [
      { tiers: tiers3, policies: [{ from: 'hot', to: 'hot', afterDaysSinceStored: 1 }] },
      '$.policies[0].to: must differ',
    ],
    [
      {
        tiers: tiers3,
        policies: [
          { from: 'hot', to: 'warm', afterDaysSinceStored: 1 },
          { from: 'warm', to: 'cold', afterDaysSinceStored: 1 },
          { from: 'cold', to: 'hot', afterDaysSinceStored: 1 },
        ],
      },
      '$.policies: cycle hot → warm → cold → hot',
    ],
    [
      { tiers: tiers3, migration: { intervalSeconds: '60' } },
      '$.migration.intervalSeconds: expected a whole number',
    ],
    [
      { tiers: tiers3, recall: { toTier: 'cold' } },
      '$.recall.toTier: cannot recall into an offline tier',
    ],
    [{ tiers: tiers3, polices: [] }, '$.polices: unknown field'],
  ])('refuses %j naming the JSON path', (json, message) => {
    const text = problem(json);
    expect(text).toContain('STRATA_CONFIG: strata.json: ');
    expect(text).toContain(message);
  });

  it('takes any backend storage.ts knows, e.g. an S3 Glacier tier', () => {
    const file = parseConfigFile(
      {
        tiers: [
          { name: 'hot', backend: fs('hot') },
          {
            name: 'cold',
            offline: true,
            backend: {
              kind: 's3',
              bucket: 'archive',
              region: 'eu-west-1',
              storageClass: 'GLACIER',
            },
          },
        ],
      },
      '/base',
    );
    expect(file.storage!.tiers[1]!.backend).toMatchObject({
      kind: 's3',
      bucket: 'archive',
      storageClass: 'GLACIER',
    });
    expect(problem({ tiers: [{ name: 'cold', backend: { kind: 's3', region: 'x' } }] })).toContain(
      '$.tiers[0].backend.bucket',
    );
  });

  it('replaces the environment single backend when STRATA_CONFIG is set', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'strata-config-'));
    try {
      const path = join(dir, 'strata.json');
      await writeFile(path, JSON.stringify({ tiers: tiers3 }));
      const config = loadConfig({ DATA_DIR: dir, STRATA_CONFIG: path });
      expect(config.storage.tiers.map((t) => t.name)).toEqual(['hot', 'warm', 'cold']);
      expect(config.storage.tiers[0]!.backend).toEqual({ kind: 'fs', root: join(dir, 'hot') });
      expect(config.hsm?.policies).toEqual([]);
      expect(loadConfig({ DATA_DIR: dir }).hsm).toBeUndefined();

      await writeFile(path, '{ "tiers": ');
      expect(() => loadConfig({ DATA_DIR: dir, STRATA_CONFIG: path })).toThrow(
        /^STRATA_CONFIG: .* is not valid JSON/,
      );
      expect(() => loadConfig({ DATA_DIR: dir, STRATA_CONFIG: join(dir, 'missing.json') })).toThrow(
        /^STRATA_CONFIG: cannot read/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('ADMIN_TOKEN must be long enough and is never echoed', () => {
    expect(() => loadConfig({ ADMIN_TOKEN: 'short-secret' })).toThrow(
      'ADMIN_TOKEN: must be at least 16 characters',
    );
    expect(loadConfig({ ADMIN_TOKEN: 'a-long-enough-admin-token' }).adminToken).toBe(
      'a-long-enough-admin-token',
    );
  });

  it('#15: known remote AEs in the file join DIMSE_REMOTE_AES; the file needs no tiers for them', async () => {
    const file = parseConfigFile(
      {
        remoteAes: [
          { aeTitle: 'CT1', host: '10.0.0.5', port: 104 },
          { aeTitle: 'WS', host: '::1', port: 11112 },
        ],
      },
      '/base',
    );
    expect(file.storage).toBeUndefined();
    expect(file.remoteAes).toEqual([
      { aeTitle: 'CT1', host: '10.0.0.5', port: 104 },
      { aeTitle: 'WS', host: '::1', port: 11112 },
    ]);
    expect(problem({ remoteAes: [{ aeTitle: 'CT1', host: 'h', port: 70000 }] })).toMatch(
      /\$\.remoteAes\[0\]: .*not AE@host:port/,
    );
    expect(
      problem({ remoteAes: [{ aeTitle: 'A-TITLE-FAR-TOO-LONG', host: 'h', port: 1 }] }),
    ).toMatch(/not an AE title/);
    expect(problem({ remoteAes: [{ aeTitle: 'CT1', host: 'h', port: 104, ip: 'x' }] })).toMatch(
      /\$\.remoteAes\[0\]\.ip: unknown field/,
    );
    expect(problem({ policies: [] })).toMatch(/\$\.policies: needs \$\.tiers/);

    const dir = await mkdtemp(join(tmpdir(), 'strata-config-'));
    try {
      const path = join(dir, 'strata.json');
      await writeFile(
        path,
        JSON.stringify({ remoteAes: [{ aeTitle: 'CT1', host: 'ct', port: 104 }] }),
      );
      const config = loadConfig({
        DATA_DIR: dir,
        STRATA_CONFIG: path,
        DIMSE_REMOTE_AES: 'WS@ws.local:11112',
      });
      expect(config.dimse.remoteAes.map((ae) => ae.aeTitle)).toEqual(['WS', 'CT1']);
      // The environment's single backend stays when the file names no tiers.
      expect(config.storage.tiers).toEqual(loadConfig({ DATA_DIR: dir }).storage.tiers);
      expect(config.hsm).toBeUndefined();
      expect(() =>
        loadConfig({ DATA_DIR: dir, STRATA_CONFIG: path, DIMSE_REMOTE_AES: 'CT1@other:104' }),
      ).toThrow(/^STRATA_CONFIG: CT1 is listed twice/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

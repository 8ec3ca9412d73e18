import { ConfigError } from './config/errors.js';
import type { Db } from './index/db.js';
import { tiersInUse } from './index/hsm.repository.js';
import {
  settingName,
  type BackendConfig,
  type StorageConfig,
  type TierConfig,
} from './config/storage.js';
import type { BlobStore } from './storage/blob-store.js';
import { EncryptedBlobStore } from './storage/encrypted-blob-store.js';
import { FsBlobStore } from './storage/fs-blob-store.js';
import { MemoryBlobStore } from './storage/memory-blob-store.js';
import { StorageSettingError } from './storage/errors.js';

export interface OpenStoresOptions {
  /** Temp files younger than this may be another process's upload in flight. */
  tempSweepGraceMs: number;
}

/**
 * Opens one BlobStore per tier, in tier order; the first is where new instances land. With
 * encryption configured every tier is wrapped, so bytes at rest are ciphertext wherever they
 * move; the store's name stays the tier name. Remote backends are probed first, so a bad
 * setting stops start-up with a ConfigError naming the variable or JSON path to fix.
 */
export async function openStores(
  config: StorageConfig,
  options: OpenStoresOptions,
): Promise<Map<string, BlobStore>> {
  const stores = new Map<string, BlobStore>();
  try {
    for (const tier of config.tiers) {
      const store = await openBackend(tier.name, tier.backend, options);
      stores.set(tier.name, store);
      await probe(tier, store);
      stores.set(
        tier.name,
        config.encryption ? new EncryptedBlobStore(store, config.encryption) : store,
      );
    }
    return stores;
  } catch (error) {
    await Promise.allSettled([...stores.values()].map((s) => s.close()));
    throw error;
  }
}

async function openBackend(
  name: string,
  backend: BackendConfig,
  options: OpenStoresOptions,
): Promise<BlobStore> {
  switch (backend.kind) {
    case 'fs':
      return FsBlobStore.open({
        root: backend.root,
        name,
        tempSweepGraceMs: options.tempSweepGraceMs,
      });
    case 'memory':
      return new MemoryBlobStore(name);
    // The config's field names are the stores' option names (config/storage-settings.ts).
    // The cloud SDKs load only when a tier uses them: together they cost ~45 MB of resident
    // memory in every process that would never call them (the embedded default).
    case 's3': {
      const { S3BlobStore } = await import('./storage/s3-blob-store.js');
      return new S3BlobStore({ ...backend, name });
    }
    case 'azure': {
      const { AzureBlobStore } = await import('./storage/azure-blob-store.js');
      return new AzureBlobStore({ ...backend, name });
    }
  }
}

async function probe(tier: TierConfig, store: BlobStore): Promise<void> {
  try {
    await store.probe?.();
  } catch (error) {
    if (!(error instanceof StorageSettingError)) throw error;
    throw new ConfigError(
      settingName(tier, error.setting),
      `tier "${tier.name}" (${tier.backend.kind}): ${error.message}`,
    );
  }
}

/**
 * Refuses to start when instances sit in a tier the configuration no longer has (for example
 * STORAGE_BACKEND switched from fs to s3 on an existing index): they would be unreadable, and
 * nothing could move them. The message names the tiers, never an instance.
 */
export async function assertTiersConfigured(db: Db, config: StorageConfig): Promise<void> {
  const configured = new Set(config.tiers.map((t) => t.name));
  const missing = (await tiersInUse(db)).filter((tier) => !configured.has(tier));
  if (missing.length === 0) return;
  const fromFile = config.tiers.some((t) => t.source !== undefined);
  throw new ConfigError(
    fromFile ? 'STRATA_CONFIG' : 'STORAGE_BACKEND',
    `the index has instances in tier(s) ${missing.map((t) => `"${t}"`).join(', ')}, which ` +
      `are not configured (configured: ${[...configured].join(', ')}); keep those tiers in ` +
      'STRATA_CONFIG (a policy can move their instances elsewhere)',
  );
}

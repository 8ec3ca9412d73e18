/**
 * What an AzureBlobStore is opened with, and the defaults it applies: the one declaration the
 * store and the configuration (src/config/storage-settings.ts) both use.
 */
export const AZURE_ACCESS_TIERS = ['Hot', 'Cool', 'Cold', 'Archive'] as const;
export type AzureAccessTier = (typeof AZURE_ACCESS_TIERS)[number];

export interface AzureBlobStoreOptions {
  /** Tier name (recorded in the index). */
  name: string;
  container: string;
  /** One of: connection string; account name + key; account URL with SAS. */
  connectionString?: string;
  accountName?: string;
  accountKey?: string;
  /** https://account.blob.core.windows.net (or emulator URL); with `sasToken` or account key. */
  accountUrl?: string;
  sasToken?: string;
  /** '' or segments ending in '/'. */
  prefix?: string;
  /** Set on every upload; unset → the account's default tier. */
  accessTier?: AzureAccessTier;
  blockSizeBytes?: number;
  /** Blocks staged at once; memory ≈ blockSize × concurrency. */
  concurrency?: number;
  maxRetries?: number;
  /** Tier an archived blob is rehydrated to on read, and how urgently (Standard: ≤ 15 h). */
  rehydrateTier?: 'Hot' | 'Cool' | 'Cold';
  rehydratePriority?: 'Standard' | 'High';
  /** Create the container when missing (tests, first start); default true. */
  createContainer?: boolean;
}

const MiB = 1024 * 1024;

/** What the store uses for an option left unset. */
export const AZURE_DEFAULTS = {
  blockSizeBytes: 8 * MiB,
  concurrency: 4,
  maxRetries: 4,
  rehydrateTier: 'Hot',
  rehydratePriority: 'Standard',
} as const satisfies Partial<AzureBlobStoreOptions>;

/** Put Block: at most 4000 MiB per block (REST version 2019-12-12 and later). */
export const AZURE_BLOCK_BYTES = { min: 64 * 1024, max: 4000 * MiB } as const;

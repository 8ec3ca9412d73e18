import type { S3Client } from '@aws-sdk/client-s3';

/**
 * What an S3BlobStore is opened with, and the defaults it applies: the one declaration the store
 * and the configuration (src/config/storage-settings.ts) both use, so a default lives here only.
 */
export interface S3BlobStoreOptions {
  /** Tier name (recorded in the index). */
  name: string;
  bucket: string;
  region: string;
  /** Custom endpoint (MinIO, emulators); unset → AWS. */
  endpoint?: string;
  forcePathStyle?: boolean;
  /** '' or segments ending in '/'. */
  prefix?: string;
  /** Explicit keys; unset → the SDK's default credential chain. */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  serverSideEncryption?: 'AES256' | 'aws:kms';
  sseKmsKeyId?: string;
  /** One of S3_STORAGE_CLASSES; unset → the bucket's default. */
  storageClass?: string;
  partSizeBytes?: number;
  /** Bodies of known length up to this size go in one PutObject; larger or unknown: multipart. */
  multipartThresholdBytes?: number;
  /** Parts uploaded at once (lib-storage queueSize); memory ≈ partSize × (queueSize + 1). */
  queueSize?: number;
  maxSockets?: number;
  requestTimeoutMs?: number;
  maxAttempts?: number;
  /** Restore request for archived objects (RestoreObject): days kept and retrieval tier. */
  restoreDays?: number;
  restoreTier?: 'Expedited' | 'Standard' | 'Bulk';
  /** Tests only: a client to use instead of building one. */
  client?: S3Client;
}

const MiB = 1024 * 1024;

/** What the store uses for an option left unset. */
export const S3_DEFAULTS = {
  partSizeBytes: 8 * MiB,
  multipartThresholdBytes: 16 * MiB,
  queueSize: 4,
  maxSockets: 50,
  requestTimeoutMs: 120_000,
  maxAttempts: 5,
  restoreDays: 7,
  restoreTier: 'Standard',
} as const satisfies Partial<S3BlobStoreOptions>;

/** S3 multipart limits: parts of 5 MiB–5 GiB (the last may be smaller), at most 10,000 parts. */
export const S3_PART_BYTES = { min: 5 * MiB, max: 5 * 1024 * MiB } as const;

/** x-amz-storage-class values (PutObject). */
export const S3_STORAGE_CLASSES = [
  'STANDARD',
  'REDUCED_REDUNDANCY',
  'STANDARD_IA',
  'ONEZONE_IA',
  'INTELLIGENT_TIERING',
  'GLACIER',
  'DEEP_ARCHIVE',
  'GLACIER_IR',
  'EXPRESS_ONEZONE',
] as const;

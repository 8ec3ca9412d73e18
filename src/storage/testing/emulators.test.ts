import { BlobServiceClient } from '@azure/storage-blob';
import { ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { startAzureEmulator, uniqueContainerName } from './azure-emulator.js';
import { startS3Emulator, uniqueBucketName } from './s3-emulator.js';

describe('emulator starters', () => {
  it('starts s3rver on a random port, creates a bucket, stops', async () => {
    const s3 = await startS3Emulator();
    try {
      const bucket = uniqueBucketName();
      await s3.createBucket(bucket);
      const client = new S3Client({
        endpoint: s3.endpoint,
        region: s3.region,
        forcePathStyle: true,
        credentials: s3.credentials,
      });
      const listed = await client.send(new ListBucketsCommand({}));
      expect(listed.Buckets?.map((b) => b.Name)).toContain(bucket);
      client.destroy();
    } finally {
      await s3.stop();
    }
    await expect(fetch(s3.endpoint)).rejects.toThrow();
  });

  it('starts azurite on a random port with the dev account, stops', async () => {
    const azure = await startAzureEmulator();
    try {
      const service = BlobServiceClient.fromConnectionString(azure.connectionString);
      const container = uniqueContainerName();
      await service.getContainerClient(container).create();
      const names: string[] = [];
      for await (const c of service.listContainers()) names.push(c.name);
      expect(names).toContain(container);
    } finally {
      await azure.stop();
    }
    await expect(fetch(azure.accountUrl)).rejects.toThrow();
  });
});

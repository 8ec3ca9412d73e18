import { StorageSettingError } from './errors.js';
import { s3ErrorName, s3Status } from './s3-errors.js';

/**
 * What a failed HeadBucket says about the settings, or undefined when it says nothing about
 * them (then the caller reports the failure as it is). HeadBucket answers without a body, so
 * the HTTP status is often all there is.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadBucket.html
 */
export function s3SettingError(error: unknown): StorageSettingError | undefined {
  const name = s3ErrorName(error);
  const status = s3Status(error);
  const because = { cause: error };
  if (name === 'CredentialsProviderError') {
    return new StorageSettingError(
      'credentials',
      "no credentials: none given and none found by the AWS SDK's default chain",
      because,
    );
  }
  if (status === 404 || name === 'NoSuchBucket' || name === 'NotFound') {
    return new StorageSettingError('bucket', 'the bucket does not exist', because);
  }
  // 301 PermanentRedirect: the bucket lives in another region than the one configured.
  if (status === 301 || name === 'PermanentRedirect') {
    return new StorageSettingError('region', 'the bucket is in another region', because);
  }
  if (
    status === 403 ||
    name === 'InvalidAccessKeyId' ||
    name === 'SignatureDoesNotMatch' ||
    name === 'AccessDenied' ||
    name === 'Forbidden'
  ) {
    return new StorageSettingError(
      'credentials',
      'access to the bucket was refused (credentials or bucket policy)',
      because,
    );
  }
  // No HTTP answer at all: refused, unresolvable or timed out (after the SDK's retries).
  if (status === undefined) {
    return new StorageSettingError('endpoint', `the endpoint cannot be reached (${name})`, because);
  }
  return undefined;
}
